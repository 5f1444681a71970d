import CadenceCore

/// A batch of a launch's candidates as the SQLite store writes them, worked out on the launch's reading thread:
/// each candidate's address key and address text, and their fields as stored (`FlatJSON`) end to end in one
/// buffer. The writing thread, the launch's bottleneck, then neither normalises nor encodes, and frees one buffer a
/// batch instead of a text a person.
public struct LaunchBatch: Sendable {
    public private(set) var candidates: [Candidate] = []
    private(set) var keys: [String] = []
    private(set) var addresses: [String] = []
    /// Where each candidate's fields are in `bytes`.
    private(set) var fields: [Range<Int>] = []
    private(set) var bytes: [UInt8] = []

    public init() {}

    public init(_ candidates: [Candidate]) {
        for candidate in candidates { append(candidate) }
    }

    public mutating func append(_ candidate: Candidate) {
        candidates.append(candidate)
        keys.append(AddressKey.normalized(candidate.email))
        addresses.append(candidate.email.description)
        let start = bytes.count
        FlatJSON.encode(candidate.fields, into: &bytes)
        fields.append(start..<bytes.count)
    }

    /// Which of the batch is `candidate` (the same line and address), looking first at `hint`: rows are placed in
    /// the batch's order.
    func index(of candidate: Candidate, hint: Int) -> Int? {
        if hint < candidates.count, candidates[hint].line == candidate.line, candidates[hint].email == candidate.email { return hint }
        return candidates.firstIndex { $0.line == candidate.line && $0.email == candidate.email }
    }

    /// The fields of the candidate at `index` as a text, for the rarer paths that update someone already there.
    func fieldsText(_ index: Int) -> String {
        String(decoding: bytes[fields[index]], as: UTF8.self)
    }
}

import Foundation
import PropertyBased
import Testing

@testable import CadenceCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Client addresses: parsing, networks, X-Forwarded-For from trusted proxies only")
struct ClientAddressTests {
    /// The system's own reading of an address, as the reference.
    static func system(_ text: String) -> IPAddress? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return IPAddress(ipv4: UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        return IPAddress(high: bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, low: bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
    }

    static func written(_ bytes: [UInt8], family: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, 64) }
        return String(cString: buffer)
    }

    @Test("any address inet_ntop writes (IPv4, IPv6 with :: and embedded IPv4) reads back as inet_pton reads it (fixed seed)")
    func parsesWhatTheSystemWrites() {
        // Mostly zero groups, so :: appears in every position.
        let byte = Gen.element(of: [0, 0, 0, 0, 1, 0xFF, 0x12, 0xAB] as [UInt8]).map { $0! }
        seededCheck(count: 4_000, byte.array(of: 16)) { index, bytes in
            let v6 = Self.written(bytes, family: AF_INET6)
            #expect(IPAddress(v6) == Self.system(v6), "case \(index): \(v6)")
            #expect(IPAddress(v6.uppercased()) == Self.system(v6), "case \(index): \(v6.uppercased())")
            let v4 = Self.written(Array(bytes.prefix(4)), family: AF_INET)
            #expect(IPAddress(v4) == Self.system(v4), "case \(index): \(v4)")
            #expect(IPAddress(v4)?.description == v4)
        }
    }

    @Test("what is not an address is nil, as inet_pton says; proxies' ports, brackets and zones are read")
    func rejects() {
        for text in [
            "", ":", ":::", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "1..2.3", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "::1.2.3", "1.2.3.4::",
            "1:2:3:4:5:6:7::8:9", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "1.2.3.4/8", " ", "unknown", "010.0.0.1", "1.02.3.4",
        ] {
            #expect(IPAddress(text) == nil, "\(text.debugDescription)")
            #expect(Self.system(text) == nil, "the reference disagrees about \(text.debugDescription)")
        }
        #expect(IPAddress("[2001:db8::1]") == IPAddress("2001:db8::1"))
        #expect(IPAddress("[2001:db8::1]:8443") == IPAddress("2001:db8::1"))
        #expect(IPAddress("203.0.113.9:51234") == IPAddress("203.0.113.9"))
        #expect(IPAddress(" fe80::1%eth0 ") == IPAddress("fe80::1"))
        #expect(IPAddress("::ffff:203.0.113.9") == IPAddress("203.0.113.9"))
        #expect(IPAddress("[2001:db8::1]x") == nil && IPAddress("203.0.113.9:") == nil && IPAddress("203.0.113.9:http") == nil)
    }

    @Test("a set of networks contains exactly the addresses some network contains (fixed seed, against a plain scan)")
    func rangeSet() {
        // Few distinct octets, so networks overlap, touch and contain one another often.
        let byte = Gen.element(of: [0, 1, 8, 10, 16, 24, 31, 127, 128, 172, 192, 255] as [UInt8]).map { $0! }
        seededCheck(count: 300, byte.array(of: 111)) { index, bytes in
            let texts = (0..<Int(bytes[0] % 7)).map { n in
                let part = bytes[(1 + 5 * n)...].prefix(5)
                return part.prefix(4).map(String.init).joined(separator: ".") + "/\(Int(part.last!) % 33)"
            }
            let probes = (0..<20).map { Array(bytes[(31 + 4 * $0)...].prefix(4)) }
            let networks = texts.compactMap { IPNetwork($0) }
            #expect(networks.count == texts.count, "case \(index): \(texts)")
            let set = IPRangeSet(networks: networks)
            for probe in probes {
                let address = IPAddress(ipv4: probe.reduce(0) { $0 << 8 | UInt32($1) })
                let plain = networks.contains { $0.first <= address && address <= $0.last }
                #expect(set.contains(address) == plain, "case \(index): \(texts) and \(address)")
            }
        }
    }

    @Test("networks: IPv4 prefixes count in their own 32 bits; bad prefixes and client-style forms are refused")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.first == IPAddress("10.0.0.0") && ten.last == IPAddress("10.255.255.255"))
        let v6 = try #require(IPNetwork("2a02:26f7::/32"))
        #expect(v6.last == IPAddress("2a02:26f7:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(IPNetwork("0.0.0.0/0")?.last == IPAddress("255.255.255.255"))
        #expect(IPNetwork("::/0")?.last == IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "[::1]", "10.0.0.1:80", "fe80::1%eth0", "example.com"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
        guard case .failure(let error) = IPRangeSet.parse(lines: "# comment\n10.0.0.0/8\n\nnot-a-network\n") else {
            Issue.record("a bad line parsed")
            return
        }
        #expect(error == IPNetwork.ParseError(line: 4, text: "not-a-network"))
        #expect(TrackingEventClassifier.appleRanges.count > 1_000)
        #expect(TrackingEventClassifier.appleRangesDate == "2026-08-17")
    }

    @Test("X-Forwarded-For counts only from a trusted peer, read from the right, stopping at the first untrusted or unreadable hop")
    func forwardedFor() throws {
        let loopback = IPRangeSet(networks: [try #require(IPNetwork("127.0.0.1")), try #require(IPNetwork("10.0.0.0/8"))])
        let peer = IPAddress("127.0.0.1")
        #expect(ClientAddress.resolve(peer: IPAddress("198.51.100.1"), forwardedFor: ["203.0.113.9"], trusted: loopback) == IPAddress("198.51.100.1"))
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: ["203.0.113.9"], trusted: .empty) == peer)
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: ["203.0.113.9"], trusted: loopback) == IPAddress("203.0.113.9"))
        // A client that writes its own header: the proxy appends the real address, which is the one read.
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: ["172.225.180.37, 203.0.113.9"], trusted: loopback) == IPAddress("203.0.113.9"))
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: ["203.0.113.9", "10.1.2.3"], trusted: loopback) == IPAddress("203.0.113.9"))
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: ["203.0.113.9, garbage, 10.1.2.3"], trusted: loopback) == IPAddress("10.1.2.3"))
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: [], trusted: loopback) == peer)
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: ["203.0.113.9"], trusted: loopback) == nil)
    }
}

@Suite("Classing recorded requests: Fixtures/tracking/requests.json")
struct TrackingRequestFixtureTests {
    struct Fixture: Decodable {
        var name: String
        var target: String
        var method: String
        var userAgent: String
        var peer: String
        var forwardedFor: [String]?
        var trustedProxies: [String]?
        var secondsAfterSend: Double
        var expected: String
    }

    struct File: Decodable { var requests: [Fixture] }

    @Test("each request gets the class its client deserves, by the documented rules in order")
    func fixtures() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tracking/requests.json")
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        #expect(file.requests.count >= 15)
        let sent = Date(timeIntervalSince1970: 1_796_119_200)
        for fixture in file.requests {
            let trusted = IPRangeSet(networks: (fixture.trustedProxies ?? []).compactMap { IPNetwork($0) })
            let client = ClientAddress.resolve(peer: IPAddress(fixture.peer), forwardedFor: fixture.forwardedFor ?? [], trusted: trusted)
            let request = TrackingRequest(
                target: fixture.target == "click" ? .click : .pixel, method: fixture.method, userAgent: fixture.userAgent, clientAddress: client,
                at: sent.addingTimeInterval(fixture.secondsAfterSend), sentAt: sent)
            #expect(TrackingEventClassifier.classify(request).rawValue == fixture.expected, "\(fixture.name)")
        }
        #expect(Set(file.requests.map(\.expected)) == Set(TrackingEventClass.allCases.map(\.rawValue)))
    }

    @Test("a burst: clicks on two different links of one send within five seconds; one link clicked twice is not one")
    func clickBurst() {
        let at = Date(timeIntervalSince1970: 1_796_119_200)
        #expect(ClickBurst.isBurst(link: 2, at: at, earlier: [(link: 1, at: at.addingTimeInterval(-1))]))
        #expect(ClickBurst.isBurst(link: 2, at: at, earlier: [(link: 1, at: at.addingTimeInterval(-5))]))
        #expect(!ClickBurst.isBurst(link: 2, at: at, earlier: [(link: 1, at: at.addingTimeInterval(-6))]))
        #expect(!ClickBurst.isBurst(link: 1, at: at, earlier: [(link: 1, at: at.addingTimeInterval(-1))]))
        #expect(!ClickBurst.isBurst(link: 1, at: at, earlier: []))
        #expect(ClickBurst.settled(now: at) == at.addingTimeInterval(-5))
    }
}

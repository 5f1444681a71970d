/// Per-campaign limits; each only ever lowers what the mailboxes allow.
public struct CampaignLimits: Sendable, Hashable {
    /// At most this many sends a day from this campaign, across its mailboxes.
    public var dailyCap: Int?
    /// At most this many sends a day to one recipient domain; free-mail domains (gmail.com, …) are exempt.
    public var perDomainDailyCap: Int?
    /// At most this many candidates start the campaign each day; the rest wait their turn.
    public var newEnrollmentsPerDay: Int?

    public init(dailyCap: Int? = nil, perDomainDailyCap: Int? = nil, newEnrollmentsPerDay: Int? = nil) {
        self.dailyCap = dailyCap
        self.perDomainDailyCap = perDomainDailyCap
        self.newEnrollmentsPerDay = newEnrollmentsPerDay
    }
}

/// What a reply from someone else at the candidate's company does ("she has moved on", "please talk to me").
public enum ColleagueReplyPolicy: String, Sendable, Hashable, CaseIterable {
    /// Stop the candidate's sequence, as a reply from them would (the default: a human answered).
    case stop
    /// Record the reply on the candidate and keep going.
    case record
}

/// How a `reply` step's subject is written. Gmail threads a message only when its subject matches the thread's.
public enum ReplySubjectStyle: String, Sendable, Hashable, CaseIterable {
    /// `Re: ` and the thread's subject, as a person replying would write it (the default).
    case re
    /// The thread's subject unchanged.
    case same
}

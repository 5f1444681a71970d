/// What a campaign's mail carries: the project's defaults (`tracking` in cadence.json), overridden per campaign.
public struct TrackingOptions: Sendable, Hashable {
    /// An open pixel in the HTML part. Off unless asked for: several EU regulators hold that an open pixel needs the
    /// reader's consent (docs/tracking.md).
    public var opens = false
    /// Links in the HTML part go through a signed click link.
    public var clicks = true
    /// A one-click unsubscribe link: `List-Unsubscribe` (https and mailto) and `<<links.unsubscribe>>`.
    public var unsubscribe = true
    /// Links in the text part are rewritten too. Off by default: a plain-text reader sees where a link goes.
    public var textLinks = false
    /// A standard footer with the unsubscribe link, for templates that do not place `<<links.unsubscribe>>`.
    public var footer = false

    public init() {}

    /// Each key a campaign or the project may set, with how it changes these options.
    static let keys: [(name: String, set: @Sendable (inout TrackingOptions, Bool) -> Void)] = [
        ("opens", { $0.opens = $1 }), ("clicks", { $0.clicks = $1 }), ("unsubscribe", { $0.unsubscribe = $1 }),
        ("textLinks", { $0.textLinks = $1 }), ("footer", { $0.footer = $1 }),
    ]
}

/// A campaign's `tracking` section: only the keys it sets override the project's defaults.
public struct CampaignTracking: Sendable, Hashable {
    public var overrides: [String: Bool] = [:]
    /// A likely-human click opens a task ("hot lead") for someone to follow up while the interest is fresh; once
    /// per person, and never for a click a scanner's burst accounts for. Per campaign only: it makes work for
    /// the people running that campaign.
    public var hotLeads = false

    public init(overrides: [String: Bool] = [:], hotLeads: Bool = false) {
        self.overrides = overrides
        self.hotLeads = hotLeads
    }

    public func resolved(over defaults: TrackingOptions) -> TrackingOptions {
        var options = defaults
        for (name, set) in TrackingOptions.keys { if let value = overrides[name] { set(&options, value) } }
        return options
    }
}

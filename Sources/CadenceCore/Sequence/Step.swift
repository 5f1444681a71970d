/// One step of a campaign. Its id is stable across edits of the file: sends, events and stats are keyed by it.
public struct Step: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Starts a new thread; its template has a subject.
        case email(EmailStep)
        /// Follows up inside the thread of an earlier `email` step, keeping that thread's subject.
        case reply(ReplyStep)
        /// A manual action (a LinkedIn connection, a call) that a person marks done.
        case task(TaskStep)

        public var typeName: String {
            switch self {
            case .email: "email"
            case .reply: "reply"
            case .task: "task"
            }
        }
    }

    public var id: String
    /// An optional human title for reports, e.g. "Day 3 follow-up".
    public var name: String?
    /// Counted from when the previous step actually happened (from the start of the enrolment for the first).
    public var delay: Delay
    public var kind: Kind

    public init(id: String, name: String? = nil, delay: Delay, kind: Kind) {
        self.id = id
        self.name = name
        self.delay = delay
        self.kind = kind
    }
}

/// What an email or reply step sends: one template, or weighted A/B variants of it.
public enum StepContent: Sendable, Hashable {
    case template(String)
    case variants([Variant])

    /// Every template the step can send, for validation and previews.
    public var templates: [String] {
        switch self {
        case .template(let path): [path]
        case .variants(let variants): variants.map(\.template)
        }
    }
}

public struct EmailStep: Sendable, Hashable {
    public var content: StepContent
    /// Paths relative to the campaign file's folder.
    public var attachments: [String]

    public init(content: StepContent, attachments: [String] = []) {
        self.content = content
        self.attachments = attachments
    }
}

public struct ReplyStep: Sendable, Hashable {
    /// The id of the earlier `email` step whose thread this step replies in.
    public var inThreadOf: String
    public var content: StepContent
    public var attachments: [String]

    public init(inThreadOf: String, content: StepContent, attachments: [String] = []) {
        self.inThreadOf = inThreadOf
        self.content = content
        self.attachments = attachments
    }
}

public struct TaskStep: Sendable, Hashable {
    public var title: String
    public var instructions: String
    /// How long after it opens the task should be done, in the delay syntax; past it the task is overdue in
    /// `stats` and the report. A business day by default: a call or a LinkedIn note left longer goes cold.
    public var due: Delay

    public static let defaultDue = Delay.businessDays(1)

    public init(title: String, instructions: String, due: Delay = TaskStep.defaultDue) {
        self.title = title
        self.instructions = instructions
        self.due = due
    }
}

/// One arm of an A/B test. Weights are percentages and add up to 100 across a step's variants.
public struct Variant: Sendable, Hashable {
    public var id: String
    public var template: String
    public var weight: Int

    public init(id: String, template: String, weight: Int) {
        self.id = id
        self.template = template
        self.weight = weight
    }
}

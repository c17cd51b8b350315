/// How much a broken rule matters: the guide's "must" is an error,
/// "recommended" a warning, facts that need no action are info.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case error, warning, info

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A rule's result on one image.
public enum Outcome: String, Sendable, Codable, CaseIterable {
    case pass, fail, warning
    /// An info rule's violation: a fact worth showing, never a pass.
    case info
    case notApplicable = "not-applicable"
    case couldNotCheck = "could-not-check"

    /// How bad, for merging one rule's outcomes (instances, a rule's static
    /// and boot halves): fail > could-not-check > warning > info > pass >
    /// not-applicable.
    public var rank: Int {
        switch self {
        case .notApplicable: return 0
        case .pass: return 1
        case .info: return 2
        case .warning: return 3
        case .couldNotCheck: return 4
        case .fail: return 5
        }
    }

    /// Whether a waiver can apply: the rule did not hold, or was not checked.
    public var isWaivable: Bool { self == .fail || self == .warning || self == .couldNotCheck }
}

/// Where a finding comes from: a file and line, or a console line, with the
/// text seen there.
public struct Evidence: Sendable, Codable, Equatable, CustomStringConvertible {
    public var path: String?
    public var line: Int?
    public var text: String

    public init(path: String? = nil, line: Int? = nil, _ text: String) {
        self.path = path
        self.line = line
        self.text = text
    }

    /// Evidence pointing at one line of a file.
    public static func at(_ path: String, _ line: Line) -> Evidence {
        Evidence(path: path, line: line.number, line.text)
    }

    public var description: String {
        switch (path, line) {
        case let (path?, line?): return "\(path):\(line): \(text)"
        case let (path?, nil): return "\(path): \(text)"
        default: return text
        }
    }
}

/// What a rule's check concluded, before severity and waivers apply.
public enum Verdict: Sendable {
    /// The rule holds; `found` says what was seen.
    case pass(String, [Evidence] = [])
    /// The rule is broken. `severity` overrides the rule's own (e.g. a rule
    /// that is an error only on some OS versions).
    case violated(String, [Evidence], severity: Severity? = nil)
    case notApplicable(String)
    /// The check could not run or could not decide: never a pass. The
    /// evidence is what was seen on the way.
    case couldNotCheck(String, [Evidence] = [])
}

/// Everything a rule may look at.
public struct RuleContext: Sendable {
    public let fs: any GuestFilesystem
    public let facts: OSFacts
    public let profile: PlatformProfile
    /// A Windows image's registry; nil for any other.
    public let registry: (any WindowsRegistry)?

    public init(fs: any GuestFilesystem, facts: OSFacts, profile: PlatformProfile = .default, registry: (any WindowsRegistry)? = nil) {
        self.fs = fs
        self.facts = facts
        self.profile = profile
        self.registry = registry
    }
}

/// One rule of the catalogue: its ID exactly as in REQUIREMENTS.md, what it
/// requires, how to fix it, which OS families it applies to, and its check.
public struct Rule: Sendable {
    public let id: String
    public let severity: Severity
    public let title: String
    /// What the platform requires, in one sentence.
    public let required: String
    /// What a vendor does to comply.
    public let fix: String
    /// The title, requirement and fix in Chinese (the guide's words where
    /// it has them).
    public let chinese: RuleText
    /// OS families (libguestfs inspection types) the rule applies to;
    /// empty: every image, whatever it holds.
    public let families: Set<String>
    public let check: @Sendable (RuleContext) async throws -> Verdict

    public init(_ id: String, _ severity: Severity, title: String, required: String, fix: String, chinese: RuleText,
                families: Set<String> = ["linux"], check: @escaping @Sendable (RuleContext) async throws -> Verdict) {
        self.id = id
        self.severity = severity
        self.title = title
        self.required = required
        self.fix = fix
        self.chinese = chinese
        self.families = families
        self.check = check
    }

    /// Runs the check on `context` and turns its verdict into a finding.
    public func evaluate(_ context: RuleContext) async -> Finding {
        guard families.isEmpty || families.contains(context.facts.family) else {
            return finding(.notApplicable, "the rule is for \(families.sorted().joined(separator: ", ")) images; this is \(context.facts.family)", [])
        }
        let verdict: Verdict
        do {
            verdict = try await check(context)
        } catch {
            verdict = .couldNotCheck("reading the image failed: \(error)")
        }
        var result: Finding
        switch verdict {
        case let .pass(found, evidence):
            result = finding(.pass, found, evidence)
        case let .violated(found, evidence, override):
            // An info-level violation is a fact worth showing, not a failure.
            let severity = override ?? self.severity
            let outcome: Outcome = severity == .error ? .fail : severity == .warning ? .warning : .info
            result = finding(outcome, found, evidence, severity: severity)
        case let .notApplicable(reason):
            result = finding(.notApplicable, reason, [])
        case let .couldNotCheck(reason, evidence):
            result = finding(.couldNotCheck, reason, evidence)
        }
        if let waiver = context.profile.waivers.first(where: { $0.rule == id }), result.outcome.isWaivable {
            result.waived = waiver.reason
        }
        return result
    }

    private func finding(_ outcome: Outcome, _ found: String, _ evidence: [Evidence], severity: Severity? = nil) -> Finding {
        Finding(rule: id, severity: severity ?? self.severity, title: title, outcome: outcome, required: required,
                found: found, evidence: evidence, fix: outcome == .fail || outcome == .warning ? fix : nil)
    }
}

/// One rule's result on one image, with everything a reviewer needs: what
/// was required, what was found, where, and how to fix it.
public struct Finding: Sendable, Codable, Equatable {
    public var rule: String
    public var severity: Severity
    public var title: String
    public var outcome: Outcome
    public var required: String
    public var found: String
    public var evidence: [Evidence]
    /// Set when the outcome is fail or warning.
    public var fix: String?
    /// The waiver's reason, when a failure is waived by the profile.
    public var waived: String?

    /// A failure that counts (not waived).
    public var isFailure: Bool { outcome == .fail && waived == nil }

    /// An error rule nobody could check, not waived: the verdict cannot be
    /// PASS while one remains.
    public var isUncheckedError: Bool { outcome == .couldNotCheck && severity == .error && waived == nil }
}

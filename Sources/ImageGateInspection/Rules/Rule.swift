import Foundation
import ImageGateModel

/// Everything a rule may look at.
public struct RuleContext: Sendable {
    public let fs: any GuestFilesystem
    public let facts: OSFacts
    public let profile: PlatformProfile
    /// A Windows image's registry; nil for any other.
    public let registry: (any WindowsRegistry)?
    /// When the rules judge (what depends on the date: an OS's end of life).
    public let now: Date

    public init(fs: any GuestFilesystem, facts: OSFacts, profile: PlatformProfile = .default, registry: (any WindowsRegistry)? = nil,
                now: Date = Date()) {
        self.fs = fs
        self.facts = facts
        self.profile = profile
        self.registry = registry
        self.now = now
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


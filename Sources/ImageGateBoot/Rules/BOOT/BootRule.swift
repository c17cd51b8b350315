import ImageGateInspection
import ImageGateModel

/// One BOOT rule as one unit: its ID (as in REQUIREMENTS.md), severity,
/// texts and judge. Most rules judge one boot (``BootObservation``); BOOT-
/// SERVICE-PORTS and BOOT-REINSTANCE judge a check's boots together
/// (``BootSet``). Its Chinese texts are declared with it, as with every
/// other rule's.
public struct BootRule: Sendable {
    public enum Judge: Sendable {
        /// Judges one boot.
        case instance(@Sendable (BootObservation) -> Verdict)
        /// Judges every boot of a check together, with what the scenario declared.
        case across(@Sendable (BootSet) -> Verdict)
    }

    public let id: String
    public let severity: Severity
    public let title: String
    public let required: String
    public let fix: String
    /// The title, requirement and fix in Chinese.
    public let chinese: RuleText
    /// The ways a boot breaks this rule that the console shows (a fatal
    /// one ends the boot at once).
    public let failureClasses: [FailureClass]
    /// What of the guest's own logs explains a failure of this rule.
    let diagnosis: DiagnosisPick
    public let judge: Judge

    init(_ id: String, _ severity: Severity = .error, title: String, required: String, fix: String, chinese: RuleText,
         failureClasses: [FailureClass] = [], diagnosis: DiagnosisPick = .fallback, judge: Judge) {
        self.id = id
        self.severity = severity
        self.title = title
        self.required = required
        self.fix = fix
        self.chinese = chinese
        self.failureClasses = failureClasses
        self.diagnosis = diagnosis
        self.judge = judge
    }

    /// The finding for `verdict`, as a static rule's would read.
    public func finding(_ verdict: Verdict) -> Finding {
        let (outcome, found, evidence, severity): (Outcome, String, [Evidence], Severity)
        switch verdict {
        case let .pass(text, ev): (outcome, found, evidence, severity) = (.pass, text, ev, self.severity)
        case let .violated(text, ev, override):
            let level = override ?? self.severity
            (outcome, found, evidence, severity) = (level == .error ? .fail : level == .warning ? .warning : .info, text, ev, level)
        case let .notApplicable(text): (outcome, found, evidence, severity) = (.notApplicable, text, [], self.severity)
        case let .couldNotCheck(text, ev): (outcome, found, evidence, severity) = (.couldNotCheck, text, ev, self.severity)
        }
        // Whatever a boot rule cites and did not observe itself, the guest printed or answered.
        let cited = evidence.map { item in
            var item = item
            if item.origin == nil { item.origin = .guest }
            return item
        }
        return Finding(rule: id, severity: severity, title: title, outcome: outcome, required: required, found: found,
                       evidence: cited, fix: outcome == .fail || outcome == .warning ? fix : nil)
    }
}

/// Every boot of one check, and what its scenario declared.
public struct BootSet: Sendable {
    public var boots: [BootResult]
    /// Guest ports the scenario declares (BOOT-SERVICE-PORTS).
    public var declaredPorts: [Int]

    public init(boots: [BootResult], declaredPorts: [Int]) {
        self.boots = boots
        self.declaredPorts = declaredPorts
    }
}

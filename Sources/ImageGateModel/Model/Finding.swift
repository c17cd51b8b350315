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
    /// Who stands behind a boot's evidence: the candidate is an adversary,
    /// so what it printed or answered is its claim, and what ImageGate read
    /// or reached itself is an observation.
    public enum Origin: String, Sendable, Codable {
        case guest = "from the guest"
        case observed = "observed by ImageGate"
    }

    public var path: String?
    public var line: Int?
    public var text: String
    /// nil for a static rule's evidence: ImageGate read the stopped disk.
    public var origin: Origin?

    public init(path: String? = nil, line: Int? = nil, _ text: String, origin: Origin? = nil) {
        self.path = path
        self.line = line
        self.text = text
        self.origin = origin
    }

    public var description: String {
        let said = origin.map { " [\($0.rawValue)]" } ?? ""
        switch (path, line) {
        case let (path?, line?): return "\(path):\(line): \(text)\(said)"
        case let (path?, nil): return "\(path): \(text)\(said)"
        default: return text + said
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

    public init(rule: String, severity: Severity, title: String, outcome: Outcome, required: String, found: String,
                evidence: [Evidence], fix: String? = nil, waived: String? = nil) {
        self.rule = rule
        self.severity = severity
        self.title = title
        self.outcome = outcome
        self.required = required
        self.found = found
        self.evidence = evidence
        self.fix = fix
        self.waived = waived
    }

    /// A failure that counts (not waived).
    public var isFailure: Bool { outcome == .fail && waived == nil }

    /// An error rule nobody could check, not waived: the verdict cannot be
    /// PASS while one remains.
    public var isUncheckedError: Bool { outcome == .couldNotCheck && severity == .error && waived == nil }
}

/// The one verdict of an inspection, a boot or a check: a claim to a
/// stranger, so PASS only when every applicable error rule was actually
/// checked and held.
public enum GateVerdict: String, Sendable, Codable, CaseIterable {
    /// No unwaived failure, and every unwaived error rule was checked.
    case pass
    /// At least one unwaived error rule failed.
    case fail
    /// No unwaived failure, but at least one unwaived error rule could not
    /// be checked: the image was not proven either way.
    case incomplete

    public init(_ findings: [Finding]) {
        if findings.contains(where: \.isFailure) {
            self = .fail
        } else if findings.contains(where: \.isUncheckedError) {
            self = .incomplete
        } else {
            self = .pass
        }
    }

    /// The command's exit status: 0 pass, 1 fail, 4 incomplete.
    public var exitStatus: Int32 {
        switch self {
        case .pass: return 0
        case .fail: return 1
        case .incomplete: return 4
        }
    }
}

import GRDB
import ImageGate
import ImageGateModel

/// An entry's verdict in the queue: the gate's own (``GateVerdict``), or
/// `error` when no verdict could be had (bad input, the infrastructure).
/// Ordered from best to worst.
public enum QueueVerdict: String, Sendable, Codable, CaseIterable, Comparable, DatabaseValueConvertible {
    case pass, incomplete, fail, error

    public init(_ verdict: GateVerdict) {
        switch verdict {
        case .pass: self = .pass
        case .incomplete: self = .incomplete
        case .fail: self = .fail
        }
    }

    public static func < (lhs: QueueVerdict, rhs: QueueVerdict) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

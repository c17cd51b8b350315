import Foundation

/// How a queue run stands in the history.
public enum QueueRunStatus: String, Sendable, Codable, CaseIterable {
    /// Begun, and not ended: in progress, or killed (`queue run --resume` continues it).
    case running
    /// Every entry recorded.
    case finished
    /// Stopped by SIGINT, SIGTERM or an error before every entry was recorded.
    case interrupted
}

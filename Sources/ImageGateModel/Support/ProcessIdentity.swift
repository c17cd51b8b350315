import Foundation

/// A process as the kernel knows it for its whole life: its ID and its
/// start time (clock ticks after boot, `/proc/PID/stat` field 22). An ID
/// alone is reused by a later process; the pair is not, so a run folder or
/// VM named with it can always tell whether its owner is still alive.
public struct ProcessIdentity: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    /// nil for a name written before start times were recorded.
    public var startTime: UInt64?

    public static let current = ProcessIdentity(pid: getpid(), startTime: startTime(of: getpid()))

    /// `PID.START`, as it goes into names (no `-`: names split on it).
    public var description: String { startTime.map { "\(pid).\($0)" } ?? "\(pid)" }

    public init(pid: Int32, startTime: UInt64?) {
        self.pid = pid
        self.startTime = startTime
    }

    /// Parses `PID.START` or a bare `PID`.
    public init?(token: Substring) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let pid = Int32(parts[0]), pid > 0 else { return nil }
        if parts.count == 2 {
            guard let start = UInt64(parts[1]) else { return nil }
            self.init(pid: pid, startTime: start)
        } else {
            self.init(pid: pid, startTime: nil)
        }
    }

    /// Alive, and the same process (not a later one with the same ID).
    public var isAlive: Bool {
        guard let stat = ProcessStat(pid: pid), stat.state != "Z" else { return false }
        guard let startTime else { return kill(pid, 0) == 0 || errno == EPERM }
        return stat.startTime == startTime
    }

    static func startTime(of pid: Int32) -> UInt64? { ProcessStat(pid: pid)?.startTime }
}

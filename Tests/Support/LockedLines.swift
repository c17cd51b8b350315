import Foundation

/// Lines added from any task (a progress callback, a fault hook), read in
/// the order they were added.
public final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    public init() {}
    public func add(_ line: String) { lock.withLock { stored.append(line) } }
    public var lines: [String] { lock.withLock { stored } }
}

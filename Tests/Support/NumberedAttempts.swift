import Foundation

/// The attempts a queue runner made (its check function), per entry
/// key, safe to fill from its concurrent checks.
public final class NumberedAttempts: @unchecked Sendable {
    private let lock = NSLock()
    private var attempts: [(key: String, number: Int)] = []

    public init() {}

    public func add(_ key: String, _ number: Int) { lock.withLock { attempts.append((key, number)) } }
    public func clear() { lock.withLock { attempts = [] } }
    /// The attempt numbers of `key`, in the order they were made.
    public func numbers(of key: String) -> [Int] { lock.withLock { attempts.filter { $0.key == key }.map(\.number) } }
}

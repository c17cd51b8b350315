import Dispatch

/// Runs blocking work (C library calls) one at a time on a dedicated
/// thread, never on Swift's cooperative thread pool.
///
/// Each C handle owns one `SerialQueue`; every call on that handle goes
/// through ``run(_:)``, so the handle is used by one thread at a time and a
/// thread-local error (libvirt's) can be read right after the failing call.
public final class SerialQueue: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and suspends the caller until it returns.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Runs `body` on the queue and blocks the calling thread until it
    /// returns. For deinitialisers and other synchronous contexts only.
    public func sync<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync(execute: body)
    }
}

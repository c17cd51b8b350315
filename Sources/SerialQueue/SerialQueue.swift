import Dispatch

/// Runs blocking work (C library calls) one at a time on a serial dispatch
/// queue, never on Swift's cooperative thread pool.
///
/// Each C handle owns one `SerialQueue`; every call on that handle goes
/// through ``run(_:)``, so the handle is used by one thread at a time. A job
/// runs start to end on one thread, so a thread-local error (libvirt's,
/// libguestfs's) is read inside the job that made the failing call.
public final class SerialQueue: Sendable {
    private let queue: DispatchQueue
    /// Set on the queue, so a job can tell it is running on it.
    private let onQueue = DispatchSpecificKey<Bool>()

    public init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: onQueue, value: true)
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

    /// Runs `body` on the queue later, without waiting: for freeing a
    /// handle in a deinitialiser, which may itself run on the queue.
    public func async(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    /// Runs `body` on the queue and blocks until it returns; at once when
    /// called from a job of the queue itself. For freeing a handle in a
    /// deinitialiser, which may run on the queue (the last reference went
    /// away in a job) or anywhere else: the handle is freed before the
    /// deinitialiser returns, so a process that exits next never leaves it
    /// half-freed.
    public func runBlocking(_ body: () -> Void) {
        if DispatchQueue.getSpecific(key: onQueue) == true { body() } else { queue.sync(execute: body) }
    }
}

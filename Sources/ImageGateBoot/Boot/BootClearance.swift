import Foundation

/// Lets a boot start before it is known that it should happen: one begun
/// beside the static phase, which may then find the image unbootable (no
/// Linux OS, another OS family, Windows). The boot runs and is judged, but
/// keeps nothing, reads no post-mortem and leaves nothing running until it
/// is cleared. Abandoned, it ends as an interruption does, except that it
/// leaves nothing behind, whatever `keep` says.
public final class BootClearance: @unchecked Sendable {
    private enum State { case pending, cleared, abandoned }
    private let lock = NSLock()
    private var state = State.pending
    private var interrupted = false
    private var waiter: CheckedContinuation<Void, Error>?

    public init() {}

    /// The boot may finish: keep, read and leave running what it was asked to.
    public func clear() { resolve(.cleared) }

    /// The boot should not have begun: it ends (its task should be cancelled
    /// too, to end it before its verdict) and leaves nothing.
    public func abandon() { resolve(.abandoned) }

    public var isAbandoned: Bool { lock.withLock { state == .abandoned } }

    private func resolve(_ outcome: State) {
        let waiting: CheckedContinuation<Void, Error>? = lock.withLock {
            guard state == .pending else { return nil }
            state = outcome
            defer { waiter = nil }
            return waiter
        }
        if outcome == .cleared { waiting?.resume() } else { waiting?.resume(throwing: CancellationError()) }
    }

    /// Returns once cleared; throws `CancellationError` once abandoned or
    /// when the waiting task is cancelled.
    package func wait() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let now: Result<Void, Error>? = lock.withLock {
                    switch state {
                    case .cleared: return .success(())
                    case .abandoned: return .failure(CancellationError())
                    case .pending:
                        if interrupted { return .failure(CancellationError()) }
                        waiter = continuation
                        return nil
                    }
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiting: CheckedContinuation<Void, Error>? = lock.withLock {
                interrupted = true
                defer { waiter = nil }
                return waiter
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}

import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// SIGINT or SIGTERM cancels the work: each phase checks for cancellation,
/// and the cleanup on the way out destroys the VM, closes the appliance and
/// removes the run's files; the process exits 130. A second signal does not
/// wait for that: it kills this process's children (QEMU, qemu-img, ssh),
/// removes its run and scratch folders, and exits 130 at once.
enum Interrupt {
    static func cancellingOnSIGINT<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let received = SignalCount()
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.increment() == 1 {
                    FileHandle.standardError.write(Data("imagegate: interrupted, cleaning up (again to exit at once)\n".utf8))
                    task.cancel()
                } else {
                    FileHandle.standardError.write(Data("imagegate: interrupted twice, exiting now\n".utf8))
                    LeftoverReaper().reapOwnRun()
                    _exit(ImageGateError.Code.interrupted.exitStatus)
                }
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        do {
            return try await task.value
        } catch is CancellationError {
            throw ExitCode.interrupted
        } catch where received.count > 0 {
            // Whatever the cancelled work threw on its way out.
            throw ExitCode.interrupted
        }
    }
}

private final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int { lock.withLock { value += 1; return value } }
    var count: Int { lock.withLock { value } }
}

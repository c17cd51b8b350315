import Foundation
import ImageGateModel

/// What ImageGate saw of an instance from outside it, beside what the
/// guest's probe says: evidence the guest cannot simply print. A rule whose
/// guest-side facts pass is held against it; a disagreement fails the rule
/// naming both sides.
public struct OutsideEvidence: Sendable {
    /// The data disk read back by ImageGate (nil: the instance has none;
    /// a reading's `problem` says why it could not be read).
    public var dataDisk: DataDiskReading?
    /// The guest's SSH port at the metadata's address, reached from the
    /// host (nil: not tried).
    public var network: NetworkReach?

    public init() {}
}

/// Whether the host reached the guest at the metadata's address: the
/// user-mode network forwards a loopback port to that address only, so an
/// SSH banner through it came from a guest that holds the address.
public enum NetworkReach: Sendable, Equatable {
    case answered(String)
    case noAnswer(String)
    /// The site has no path from this machine to the guest's network.
    case notObservable(String)

    /// Tries the forwarded SSH port for an `SSH-` banner, for up to `seconds`.
    static func sshBanner(hostPort: Int, ip: String, within seconds: Double) async -> NetworkReach {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let deadline = Date().addingTimeInterval(seconds)
                var answer = ServicePortProbe.answer(hostPort: hostPort, holdSeconds: min(5, seconds))
                while !answer.isBanner, Date() < deadline {
                    Thread.sleep(forTimeInterval: 1)
                    answer = ServicePortProbe.answer(hostPort: hostPort, holdSeconds: min(5, seconds))
                }
                if case let .banner(text) = answer, text.hasPrefix("SSH-") {
                    continuation.resume(returning: .answered("\(ip):22 answered through the host's forward (127.0.0.1:\(hostPort)): \(text)"))
                } else {
                    continuation.resume(returning: .noAnswer("\(ip):22 gave no SSH banner through the host's forward (127.0.0.1:\(hostPort)): \(answer)"))
                }
            }
        }
    }
}

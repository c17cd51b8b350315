import Foundation
import ImageGateModel

/// How long a transfer of a volume's bytes to or from a remote host may
/// take: a minute, plus the bytes at a floor of 4 MiB/s. A host that stops
/// sending altogether is caught sooner by the connection's keepalive
/// (``RemoteLink``); this bounds one that trickles.
struct TransferDeadline: Sendable {
    static let floorBytesPerSecond: Int64 = 4 << 20
    let end: ContinuousClock.Instant
    let seconds: Int64
    let what: String

    init(bytes: Int64, what: String) {
        seconds = 60 + max(bytes, 0) / Self.floorBytesPerSecond
        end = .now + .seconds(seconds)
        self.what = what
    }

    /// Throws once the time is up.
    func check() throws {
        if ContinuousClock.now > end {
            throw ImageGateError.infrastructure("\(what) took more than \(seconds) s (at least 4 MiB/s is expected)")
        }
    }
}

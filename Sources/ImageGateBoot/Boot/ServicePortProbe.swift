import Foundation
#if canImport(Glibc)
import Glibc
import ImageGateModel
#endif

/// Whether a guest port, forwarded to a loopback port, accepts connections.
///
/// QEMU's user-mode forward always accepts on the host side and closes the
/// connection at once when the guest refuses; so a port counts as open when
/// the connection delivers data (a banner) or stays open for a moment.
public enum ServicePortProbe {
    public struct Result: Sendable, Codable, Equatable {
        public var guestPort: Int
        public var hostPort: Int
        public var accepted: Bool
        public var detail: String
    }

    /// What one connection to a forwarded port got.
    enum Answer: Sendable, CustomStringConvertible {
        case banner(String), heldOpen, closed, failed(String)

        var isBanner: Bool { if case .banner = self { return true } else { return false } }

        var description: String {
            switch self {
            case let .banner(text): return "answered: \(text)"
            case .heldOpen: return "connection accepted and held open"
            case .closed: return "the guest closed the connection at once (nothing listens)"
            case let .failed(why): return why
            }
        }
    }

    /// Connects once and waits up to `holdSeconds` for the first bytes.
    static func answer(hostPort: Int, holdSeconds: Double = 1.5) -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failed("no socket") }
        defer { close(fd) }
        guard LoopbackAddress.with(port: hostPort, { connect(fd, $0, $1) }) == 0 else {
            return .failed("connection to 127.0.0.1:\(hostPort) refused")
        }
        var timeout = timeval(tv_sec: Int(holdSeconds), tv_usec: Int((holdSeconds - Double(Int(holdSeconds))) * 1_000_000))
        guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            return .failed("cannot set a receive timeout: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 {
            let banner = String(decoding: buffer.prefix(count), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            return .banner(TerminalText.sanitize(String(banner.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))))
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .heldOpen }
        return .closed
    }

    /// Probes once: accepted when the guest answered or held the connection open.
    static func probe(hostPort: Int, holdSeconds: Double = 1.5) -> (Bool, String) {
        let answer = answer(hostPort: hostPort, holdSeconds: holdSeconds)
        switch answer {
        case .banner, .heldOpen: return (true, "\(answer)")
        case .closed, .failed: return (false, "\(answer)")
        }
    }

    /// Probes every forwarded port, retrying each for up to `seconds`.
    public static func probeAll(_ ports: [Int: Int], within seconds: Double) async -> [Result] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var results: [Result] = []
                for (guest, host) in ports.sorted(by: { $0.key < $1.key }) {
                    let deadline = Date().addingTimeInterval(seconds)
                    var (accepted, detail) = probe(hostPort: host)
                    while !accepted, Date() < deadline {
                        Thread.sleep(forTimeInterval: 2)
                        (accepted, detail) = probe(hostPort: host)
                    }
                    results.append(Result(guestPort: guest, hostPort: host, accepted: accepted, detail: detail))
                }
                continuation.resume(returning: results)
            }
        }
    }
}

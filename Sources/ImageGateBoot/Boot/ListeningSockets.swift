import Foundation
import ImageGateModel

/// The TCP sockets a guest listens on, as the probe reports them: the
/// local `ADDRESS:PORT` of each `/proc/net/tcp` and `/proc/net/tcp6` row in
/// state `0A` (LISTEN), in the kernel's hex: how a service port is judged
/// from inside the guest where no port of the host reaches it (a remote
/// libvirt host).
public struct ListeningSockets: Sendable, Equatable {
    package struct Socket: Sendable, Equatable {
        /// Dotted IPv4, or IPv6 in hex groups; `*` for every address.
        package var address: String
        package var port: Int
        /// Bound to a loopback address only: unreachable from outside.
        package var loopbackOnly: Bool
    }

    package var sockets: [Socket]

    /// Every word that is a kernel-hex endpoint; anything else is ignored.
    public init(listening text: String) {
        sockets = text.split(whereSeparator: \.isWhitespace).compactMap { Self.endpoint(String($0)) }
    }

    /// `0100007F:0016` (IPv4, little-endian) or 32 hex digits (IPv6).
    static func endpoint(_ word: String) -> Socket? {
        let parts = word.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16), parts[1].count == 4 else { return nil }
        let hex = String(parts[0])
        guard hex.allSatisfy(\.isHexDigit) else { return nil }
        switch hex.count {
        case 8:
            guard let value = UInt32(hex, radix: 16) else { return nil }
            let bytes = [value & 0xFF, value >> 8 & 0xFF, value >> 16 & 0xFF, value >> 24]
            let dotted = bytes.map(String.init).joined(separator: ".")
            return Socket(address: value == 0 ? "*" : dotted, port: port, loopbackOnly: bytes[0] == 127)
        case 32:
            if hex.allSatisfy({ $0 == "0" }) { return Socket(address: "*", port: port, loopbackOnly: false) }
            let loopback = hex.uppercased() == "00000000000000000000000001000000"
            let groups = stride(from: 0, to: 32, by: 8).map { String(hex.dropFirst($0).prefix(8)).lowercased() }
            return Socket(address: groups.joined(separator: ":"), port: port, loopbackOnly: loopback)
        default:
            return nil
        }
    }

    /// Whether `port` is reachable from outside the guest, and the evidence.
    public func judge(port: Int) -> (accepted: Bool, detail: String) {
        let on = sockets.filter { $0.port == port }
        if let open = on.first(where: { !$0.loopbackOnly }) {
            return (true, "judged from inside the guest: listening on \(open.address == "*" ? "every address" : open.address):\(port)")
        }
        if !on.isEmpty {
            return (false, "judged from inside the guest: listening on loopback only (\(on.map(\.address).joined(separator: ", "))), unreachable from outside")
        }
        return (false, "judged from inside the guest: nothing listens on TCP port \(port)")
    }
}

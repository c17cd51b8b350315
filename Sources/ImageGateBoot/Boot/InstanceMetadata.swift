import Foundation
import ImageGateModel

/// The identity the platform's metadata gives a new instance: the facts
/// first boot must apply (hostname, MAC, IP, gateway, DNS, or DHCP).
public struct InstanceMetadata: Sendable, Codable, Equatable {
    public var hostname: String
    public var mac: String
    /// Static IPv4 address; ignored with `dhcp`.
    public var ip: String
    public var prefix: Int
    public var gateway: String
    public var dns: [String]
    public var dhcp: Bool
    /// A fresh instance ID, so cloud-init treats the boot as a new instance.
    public var instanceID: String
    /// The NICs after the first (`eth1`, `eth2`, …), each on a network of
    /// its own with a static address and no gateway.
    public var extraNICs: [NIC] = []

    /// A further NIC: its MAC and its static address.
    public struct NIC: Sendable, Codable, Equatable {
        public var mac: String
        public var ip: String
        public var prefix: Int

        public init(mac: String, ip: String, prefix: Int = 24) {
            self.mac = mac.lowercased()
            self.ip = ip
            self.prefix = prefix
        }
    }

    public init(hostname: String, mac: String, ip: String, prefix: Int = 24, gateway: String,
                dns: [String] = [], dhcp: Bool = false, instanceID: String = "iid-imagegate-" + UUID().uuidString.lowercased()) {
        self.hostname = hostname
        self.mac = mac.lowercased()
        self.ip = ip
        self.prefix = prefix
        self.gateway = gateway
        self.dns = dns
        self.dhcp = dhcp
        self.instanceID = instanceID
    }

    /// A new instance on ImageGate's private user-mode network: a random
    /// locally administered MAC, and a hostname no image was built with.
    public static func fresh() -> InstanceMetadata {
        var bytes = (0..<3).map { _ in UInt8.random(in: 0...255) }
        bytes[0] &= 0x7f
        let mac = "52:54:00:" + bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
        let suffix = UUID().uuidString.prefix(6).lowercased()
        return InstanceMetadata(hostname: "ig-\(suffix)", mac: mac, ip: "10.77.0.20", prefix: 24,
                                gateway: "10.77.0.1", dns: ["10.77.0.3"])
    }

    /// Checks every field; a bad one is an bad-input ``ImageGateError`` naming it.
    public func validate(source: String = "instance") throws {
        let hostnamePattern = #"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"#
        guard hostname.range(of: hostnamePattern, options: .regularExpression) != nil else {
            throw ImageGateError.badInput("\(source): hostname '\(hostname)' is not a valid host name")
        }
        try Self.checkMAC(mac, source)
        guard (1...30).contains(prefix) else { throw ImageGateError.badInput("\(source): prefix \(prefix) must be 1 to 30") }
        for (field, value) in [("ip", ip), ("gateway", gateway)] + dns.map({ ("dns", $0) }) {
            guard IPv4(value) != nil else { throw ImageGateError.badInput("\(source): \(field) '\(value)' is not an IPv4 address") }
        }
        guard let address = IPv4(ip), let router = IPv4(gateway), address.network(prefix) == router.network(prefix) else {
            throw ImageGateError.badInput("\(source): gateway \(gateway) is not in \(ip)/\(prefix)")
        }
        guard address != router else { throw ImageGateError.badInput("\(source): ip and gateway are both \(ip)") }
        var networks = [(address, prefix)], macs = [mac]
        for (index, nic) in extraNICs.enumerated() {
            let field = "\(source): extra_nics[\(index)]"
            try Self.checkMAC(nic.mac, field)
            guard !macs.contains(nic.mac) else { throw ImageGateError.badInput("\(field): mac \(nic.mac) is another NIC's") }
            guard (1...30).contains(nic.prefix) else { throw ImageGateError.badInput("\(field): prefix \(nic.prefix) must be 1 to 30") }
            guard let nicAddress = IPv4(nic.ip) else { throw ImageGateError.badInput("\(field): ip '\(nic.ip)' is not an IPv4 address") }
            // Each NIC is a network of its own: an overlap would make the
            // guest's routing, not its NICs, decide where traffic goes.
            guard !networks.contains(where: { $0.0.network(min($0.1, nic.prefix)) == nicAddress.network(min($0.1, nic.prefix)) }) else {
                throw ImageGateError.badInput("\(field): \(nic.ip)/\(nic.prefix) overlaps another NIC's network")
            }
            networks.append((nicAddress, nic.prefix))
            macs.append(nic.mac)
        }
    }

    /// A unicast MAC address like 52:54:00:12:34:56, else an bad-input ``ImageGateError``.
    static func checkMAC(_ mac: String, _ source: String) throws {
        guard mac.range(of: #"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"#, options: .regularExpression) != nil else {
            throw ImageGateError.badInput("\(source): mac '\(mac)' is not a MAC address like 52:54:00:12:34:56")
        }
        guard let first = UInt8(mac.prefix(2), radix: 16), first & 1 == 0 else {
            throw ImageGateError.badInput("\(source): mac '\(mac)' is a multicast address")
        }
    }
}

/// An IPv4 address as a number.
public struct IPv4: Sendable, Equatable, CustomStringConvertible {
    public let value: UInt32

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part), String(byte) == part else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.value = value
    }

    public init(value: UInt32) {
        self.value = value
    }

    public func network(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : value & ~UInt32(0) << (32 - prefix)
    }

    /// The address `offset` past the network address of `prefix`.
    public func inNetwork(_ prefix: Int, offset: UInt32) -> IPv4 {
        IPv4(value: network(prefix) + offset)
    }

    public var description: String {
        (0..<4).map { String(value >> (24 - 8 * $0) & 0xff) }.joined(separator: ".")
    }
}

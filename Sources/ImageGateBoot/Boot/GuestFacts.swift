import Foundation
import ImageGateModel

/// First boot's facts as the guest probe reported them.
public struct GuestFacts: Sendable, Codable, Equatable {
    public struct Interface: Sendable, Codable, Equatable {
        public var name: String
        public var mac: String
        public var up: Bool
        /// `address/prefix` of each IPv4 address.
        public var ipv4: [String]

        public init(name: String, mac: String, up: Bool, ipv4: [String]) {
            self.name = name; self.mac = mac; self.up = up; self.ipv4 = ipv4
        }
    }

    public struct Route: Sendable, Codable, Equatable {
        public var destination: String
        public var gateway: String?
        public var device: String?

        public init(destination: String, gateway: String?, device: String?) {
            self.destination = destination; self.gateway = gateway; self.device = device
        }
    }

    public struct Mount: Sendable, Codable, Equatable {
        public var source: String
        public var target: String
        public var fstype: String

        public init(source: String, target: String, fstype: String) {
            self.source = source; self.target = target; self.fstype = fstype
        }
    }

    /// Which channel delivered the facts: SSH or the serial console.
    public var channel: String
    public var hostname: String
    public var interfaces: [Interface]
    public var routes: [Route]
    public var dataMount: Mount?
    public var auditd: String
    public var firewalld: String
    /// cloud-init's own status word (`done`, `error`, `running`, `disabled`), if it said.
    public var cloudInitStatus: String?
    /// Errors cloud-init reported (status JSON and result.json).
    public var cloudInitErrors: [String]
    public var cmdline: String
    public var swaps: String
    public var machineID: String
    /// Digest of the instance's SSH host public keys (compared across instances).
    public var hostKeys: String
    public var failedUnits: String
    /// The probe's JSON as received, for evidence bundles.
    public var raw: String
    /// The local `ADDRESS:PORT` (kernel hex) of every TCP socket the guest
    /// listens on, from `/proc/net/tcp{,6}` (``ListeningSockets``).
    public var listeningTCP: String?
    /// What could still print a login prompt on ttyS0 when the probe ran;
    /// nil where no process held ttyS0 and systemd did not answer.
    public var serialGetty: SerialGetty?
    /// The run's nonce as the probe was given it; nil: the JSON had none.
    public var nonce: String?

    public init(channel: String, hostname: String, interfaces: [Interface], routes: [Route], dataMount: Mount?,
                auditd: String, firewalld: String, cloudInitStatus: String?, cloudInitErrors: [String], cmdline: String,
                swaps: String, machineID: String, hostKeys: String, failedUnits: String, raw: String) {
        self.channel = channel; self.hostname = hostname; self.interfaces = interfaces; self.routes = routes
        self.dataMount = dataMount; self.auditd = auditd; self.firewalld = firewalld
        self.cloudInitStatus = cloudInitStatus; self.cloudInitErrors = cloudInitErrors; self.cmdline = cmdline
        self.swaps = swaps; self.machineID = machineID; self.hostKeys = hostKeys; self.failedUnits = failedUnits; self.raw = raw
    }

    /// Parses the probe's JSON object.
    public static func decode(_ data: Data, channel: String) throws -> GuestFacts {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImageGateError.infrastructure("the guest probe's output is not a JSON object")
        }
        func string(_ key: String) -> String { (object[key] as? String)?.trimmingCharacters(in: .whitespaces) ?? "" }

        var interfaces: [Interface] = []
        for item in object["addresses"] as? [[String: Any]] ?? [] {
            let flags = item["flags"] as? [String] ?? []
            let ipv4 = (item["addr_info"] as? [[String: Any]] ?? []).compactMap { info -> String? in
                guard info["family"] as? String == "inet", let local = info["local"] as? String else { return nil }
                return "\(local)/\(info["prefixlen"] as? Int ?? 32)"
            }
            interfaces.append(Interface(name: item["ifname"] as? String ?? "", mac: (item["address"] as? String ?? "").lowercased(),
                                        up: flags.contains("UP"), ipv4: ipv4))
        }
        let routes = (object["routes"] as? [[String: Any]] ?? []).map {
            Route(destination: $0["dst"] as? String ?? "", gateway: $0["gateway"] as? String, device: $0["dev"] as? String)
        }
        let mount = ((object["data"] as? [String: Any])?["filesystems"] as? [[String: Any]])?.first.map {
            Mount(source: $0["source"] as? String ?? "", target: $0["target"] as? String ?? "", fstype: $0["fstype"] as? String ?? "")
        }
        let status = object["cloudInitStatus"] as? [String: Any]
        let result = (object["cloudInitResult"] as? [String: Any])?["v1"] as? [String: Any]
        var errors = (status?["errors"] as? [Any] ?? []).map { "\($0)" }
        errors += (result?["errors"] as? [Any] ?? []).map { "\($0)" }.filter { !errors.contains($0) }
        return GuestFacts(
            channel: channel, hostname: string("hostname"), interfaces: interfaces, routes: routes, dataMount: mount,
            auditd: string("auditd"), firewalld: string("firewalld"),
            cloudInitStatus: status?["status"] as? String ?? (result != nil ? (errors.isEmpty ? "done" : "error") : nil),
            cloudInitErrors: errors, cmdline: string("cmdline"), swaps: string("swaps"), machineID: string("machineID"),
            hostKeys: string("hostKeys"), failedUnits: string("failedUnits"), raw: String(decoding: data, as: UTF8.self))
            .with(listeningTCP: object["listeningTCP"] as? String, serialGetty: SerialGetty(probe: object["serialGetty"]),
                  nonce: object["nonce"] as? String)
    }

    private func with(listeningTCP: String?, serialGetty: SerialGetty?, nonce: String?) -> GuestFacts {
        var copy = self
        copy.listeningTCP = listeningTCP
        copy.serialGetty = serialGetty
        copy.nonce = nonce
        return copy
    }
}

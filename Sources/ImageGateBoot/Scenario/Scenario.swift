import Foundation
import Yams
import ImageGateInspection
import ImageGateModel

/// A reproducible check: which image, under which platform profile, on
/// which hardware, booted as which instances, with which service ports,
/// waivers and timeouts. Loaded from `Scenarios/*.yaml`; unknown keys and
/// bad values are errors naming the file, line and field.
public struct Scenario: Sendable, Equatable {
    public struct Hardware: Sendable, Equatable {
        public var cpus = 2
        public var memoryMiB = 1024
        /// Only `virtio`: the platform's NIC.
        public var nicModel = "virtio"
    }

    public struct Waiver: Sendable, Equatable {
        public var rule: String
        public var reason: String
        /// The day the waiver stops counting (inclusive), if any.
        public var expires: Date?

        public func isActive(on day: Date) -> Bool { expires.map { day <= $0 } ?? true }
    }

    public var name: String
    public var description: String
    public var image: String?
    public var profile: String?
    public var osFamily = "linux"
    /// `standard` or `fast` (the fast network tier).
    public var tier = "standard"
    public var hardware = Hardware()
    public var instances: [InstanceMetadata]
    /// Data disk size per instance, in GiB; 0: none.
    public var dataDiskGiB: [Int]
    public var servicePorts: [Int] = []
    public var waivers: [Waiver] = []
    /// Each instance is rebooted once after its first boot and judged
    /// again (hostname, network, /data must survive a reboot).
    public var reboot = false
    /// Overall timeout per boot in seconds (before the TCG multiplier); nil: the default.
    public var bootTimeout: Double?
    /// Where it was loaded from.
    public var source: String

    /// The scenario used when none is given: one new instance.
    public static let builtIn = Scenario(
        name: "default-linux", description: "one new instance of the image, as the platform creates it",
        instances: [InstanceMetadata.fresh()], dataDiskGiB: [1], source: "built-in")

    public init(name: String, description: String, instances: [InstanceMetadata], dataDiskGiB: [Int], source: String) {
        self.name = name
        self.description = description
        self.instances = instances
        self.dataDiskGiB = dataDiskGiB
        self.source = source
    }

    /// `path` as this scenario's file names it (its image, its profile): a
    /// relative path is taken from the file's folder.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: source).deletingLastPathComponent().path + "/" + path
    }

    public static func load(path: String) throws -> Scenario {
        // Any read failure is the one bad-input line below.
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ImageGateError.badInput("\(path): cannot read the scenario")
        }
        return try parse(text, source: path)
    }

    package static let dateFormat: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    public static func parse(_ text: String, source: String) throws -> Scenario {
        let r = YAMLReader(source: source)
        let top = try r.mapping(try r.root(text), "", known: [
            "name", "description", "image", "profile", "os_family", "tier", "hardware", "instances",
            "service_ports", "waivers", "timeouts", "reboot",
        ])
        guard let nameNode = top["name"] else { throw ImageGateError.badInput("\(source): name: missing") }
        guard let instancesNode = top["instances"] else { throw ImageGateError.badInput("\(source): instances: missing (at least one)") }
        var instances: [InstanceMetadata] = []
        var disks: [Int] = []
        for (index, node) in try r.sequence(instancesNode, "instances").enumerated() {
            let (instance, disk) = try parseInstance(node, field: "instances[\(index)]", reader: r)
            instances.append(instance)
            disks.append(disk)
        }
        guard !instances.isEmpty else { throw r.fail(instancesNode, "instances", "at least one instance") }
        let hostnames = instances.map(\.hostname), macs = instances.flatMap { [$0.mac] + $0.extraNICs.map(\.mac) }
        if Set(hostnames).count != hostnames.count || Set(macs).count != macs.count {
            throw r.fail(instancesNode, "instances", "each instance needs its own hostname and MAC")
        }

        var scenario = Scenario(name: try r.string(nameNode, "name"), description: try top["description"].map { try r.string($0, "description") } ?? "",
                                instances: instances, dataDiskGiB: disks, source: source)
        scenario.image = try top["image"].map { try r.string($0, "image") }
        scenario.profile = try top["profile"].map { try r.string($0, "profile") }
        if let v = top["os_family"] {
            scenario.osFamily = try r.string(v, "os_family")
            guard ["linux", "windows"].contains(scenario.osFamily) else { throw r.fail(v, "os_family", "expected linux or windows") }
        }
        if let v = top["tier"] {
            scenario.tier = try r.string(v, "tier")
            guard ["standard", "fast"].contains(scenario.tier) else { throw r.fail(v, "tier", "expected standard or fast") }
        }
        if let v = top["hardware"] {
            let m = try r.mapping(v, "hardware", known: ["cpus", "memory_mib", "nic_model"])
            if let c = m["cpus"] { scenario.hardware.cpus = try r.int(c, "hardware.cpus", 1...64) }
            if let c = m["memory_mib"] { scenario.hardware.memoryMiB = try r.int(c, "hardware.memory_mib", 256...262_144) }
            if let c = m["nic_model"] {
                scenario.hardware.nicModel = try r.string(c, "hardware.nic_model")
                guard scenario.hardware.nicModel == "virtio" else { throw r.fail(c, "hardware.nic_model", "only virtio (the platform's NIC)") }
            }
        }
        if let v = top["service_ports"] {
            scenario.servicePorts = try r.sequence(v, "service_ports").enumerated().map {
                try r.int($0.element, "service_ports[\($0.offset)]", 1...65535)
            }
        }
        if let v = top["waivers"] {
            scenario.waivers = try r.sequence(v, "waivers").enumerated().map { try parseWaiver($0.element, field: "waivers[\($0.offset)]", reader: r) }
        }
        if let v = top["reboot"] { scenario.reboot = try r.bool(v, "reboot") }
        if let v = top["timeouts"] {
            let m = try r.mapping(v, "timeouts", known: ["boot_seconds"])
            if let b = m["boot_seconds"] { scenario.bootTimeout = Double(try r.int(b, "timeouts.boot_seconds", 30...7200)) }
        }
        return scenario
    }

    /// One instance of `instances:` and its data disk's size in GiB.
    private static func parseInstance(_ node: Node, field: String, reader r: YAMLReader) throws -> (InstanceMetadata, Int) {
        let m = try r.mapping(node, field, known: ["hostname", "mac", "ip", "prefix", "gateway", "dns", "dhcp", "data_disk_gib", "instance_id", "extra_nics"])
        var instance = InstanceMetadata.fresh()
        if let v = m["hostname"] { instance.hostname = try r.string(v, "\(field).hostname") }
        if let v = m["mac"] { instance.mac = try r.string(v, "\(field).mac").lowercased() }
        if let v = m["ip"] { instance.ip = try r.string(v, "\(field).ip") }
        if let v = m["prefix"] { instance.prefix = try r.int(v, "\(field).prefix", 1...30) }
        if let v = m["gateway"] { instance.gateway = try r.string(v, "\(field).gateway") }
        if let v = m["dns"] { instance.dns = try r.strings(v, "\(field).dns") }
        if let v = m["dhcp"] { instance.dhcp = try r.bool(v, "\(field).dhcp") }
        if let v = m["extra_nics"] {
            let nics = try r.sequence(v, "\(field).extra_nics")
            guard nics.count <= 3 else { throw r.fail(v, "\(field).extra_nics", "at most 3 further NICs") }
            instance.extraNICs = try nics.enumerated().map { nicIndex, node in
                let nicField = "\(field).extra_nics[\(nicIndex)]"
                let n = try r.mapping(node, nicField, known: ["mac", "ip", "prefix"])
                guard let mac = n["mac"], let ip = n["ip"] else { throw r.fail(node, nicField, "needs mac and ip") }
                return InstanceMetadata.NIC(mac: try r.string(mac, "\(nicField).mac"), ip: try r.string(ip, "\(nicField).ip"),
                                            prefix: try n["prefix"].map { try r.int($0, "\(nicField).prefix", 1...30) } ?? 24)
            }
        }
        // Pinned by a reproduction bundle; else a new one per check.
        if let v = m["instance_id"] {
            instance.instanceID = try r.string(v, "\(field).instance_id")
            guard instance.instanceID.range(of: #"^[A-Za-z0-9._-]{1,128}$"#, options: .regularExpression) != nil else {
                throw r.fail(v, "\(field).instance_id", "expected letters, digits, '.', '_' or '-' (at most 128)")
            }
        }
        // 0: the instance gets no data disk.
        let disk = try m["data_disk_gib"].map { try r.int($0, "\(field).data_disk_gib", 0...2048) } ?? 1
        do {
            try instance.validate(source: field)
        } catch let error as ImageGateError where error.isBadInput {
            // Point at the instance's line.
            throw r.fail(node, field, error.message.replacingOccurrences(of: "\(field): ", with: ""))
        }
        return (instance, disk)
    }

    /// One entry of `waivers:`, its rule one of the catalogues'.
    private static func parseWaiver(_ node: Node, field: String, reader r: YAMLReader) throws -> Waiver {
        let m = try r.mapping(node, field, known: ["rule", "reason", "expires"])
        guard let rule = m["rule"], let reason = m["reason"] else { throw r.fail(node, field, "needs rule and reason") }
        let id = try r.string(rule, "\(field).rule")
        guard RuleCatalogue.everyID.contains(id) else {
            throw r.fail(rule, "\(field).rule", "unknown rule ID '\(id)'")
        }
        var expires: Date?
        if let e = m["expires"] {
            let text = try r.string(e, "\(field).expires")
            guard let date = dateFormat.date(from: text) else { throw r.fail(e, "\(field).expires", "'\(text)' is not a date like 2027-01-31") }
            expires = date.addingTimeInterval(86_399)
        }
        return Waiver(rule: id, reason: try r.string(reason, "\(field).reason"), expires: expires)
    }
}

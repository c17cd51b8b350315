import Foundation
import ImageGateModel

extension Scenario {
    /// The scenario as a YAML file ``parse(_:source:)`` reads back to the
    /// same plan, every instance's metadata concrete (its MAC and
    /// instance-id pinned): what a reproduction bundle replays. Strings are
    /// written as JSON strings, which YAML reads as they are.
    public func yaml(profile: String?) -> String {
        func q(_ text: String) -> String {
            // Encoding a Swift String as JSON cannot fail.
            String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
        var out = "# Written by ImageGate: the scenario as a check used it.\n"
        out += "name: \(q(name))\ndescription: \(q(description))\n"
        if let profile { out += "profile: \(q(profile))\n" }
        out += "os_family: \(q(osFamily))\ntier: \(q(tier))\n"
        out += "hardware: {cpus: \(hardware.cpus), memory_mib: \(hardware.memoryMiB), nic_model: \(q(hardware.nicModel))}\n"
        out += "instances:\n"
        for (instance, disk) in zip(instances, dataDiskGiB) {
            out += "  - hostname: \(q(instance.hostname))\n    mac: \(q(instance.mac))\n    ip: \(q(instance.ip))\n"
            out += "    prefix: \(instance.prefix)\n    gateway: \(q(instance.gateway))\n"
            out += "    dns: [\(instance.dns.map(q).joined(separator: ", "))]\n    dhcp: \(instance.dhcp)\n"
            out += "    data_disk_gib: \(disk)\n    instance_id: \(q(instance.instanceID))\n"
            if !instance.extraNICs.isEmpty {
                out += "    extra_nics:\n" + instance.extraNICs.map { "      - {mac: \(q($0.mac)), ip: \(q($0.ip)), prefix: \($0.prefix)}\n" }.joined()
            }
        }
        if !servicePorts.isEmpty { out += "service_ports: [\(servicePorts.map(String.init).joined(separator: ", "))]\n" }
        if !waivers.isEmpty {
            out += "waivers:\n"
            for waiver in waivers {
                out += "  - {rule: \(q(waiver.rule)), reason: \(q(waiver.reason))"
                if let expires = waiver.expires { out += ", expires: \(q(Self.dateFormat.string(from: expires)))" }
                out += "}\n"
            }
        }
        if reboot { out += "reboot: true\n" }
        if let bootTimeout { out += "timeouts: {boot_seconds: \(Int(bootTimeout))}\n" }
        return out
    }
}

import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot

/// `imagegate hosts check URI…`: the fleet, before a night starts.
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Libvirt hosts a queue can spread over.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "For each host: reachable, libvirt and QEMU versions, KVM or TCG, ImageGate's pool there, capacity. Exits 3 when a host is unusable."
        )

        @Argument(help: "Hosts as URI[=capacity], e.g. qemu+tcp://10.0.0.5/system=4 qemu+ssh://imagegate@h2/system (a user in the host's libvirt group, not root).")
        var hosts: [String]

        @Flag(name: .long, help: "One JSON object per host instead of text.")
        var json = false

        func validate() throws {
            guard !hosts.isEmpty else { throw ValidationError("name at least one host") }
        }

        func run() async throws {
            let specs = try await ExitCode.guarding { try hosts.map(HostSpec.init(parsing:)) }
            var reports: [HostReport] = []
            for spec in specs { reports.append(await HostReport.check(spec.uri, capacity: spec.capacity)) }
            if json {
                let encoder = JSONEncoder.report
                say(String(decoding: try encoder.encode(reports), as: UTF8.self))
            } else {
                for report in reports { for line in report.lines { say(line) } }
            }
            if reports.contains(where: { !$0.healthy }) { throw ExitCode.infrastructure }
        }
    }
}

import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// `imagegate boot`: one first boot as a brand-new instance, judged fact by fact.
struct BootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Boot an image once as a new instance (overlay, fresh metadata, data disk) and judge the BOOT rules.",
        discussion: "Exit status: 0 every BOOT rule was checked and passes, 1 one fails, 2 bad input, 3 infrastructure failure, 4 incomplete (nothing failed, but a BOOT rule could not be checked), 130 interrupted."
    )

    @Argument(help: "The image (qcow2 or raw). Never written: the VM boots an overlay.")
    var image: String

    @Option(help: "Hostname the metadata gives the instance (default: a fresh ig-XXXXXX).")
    var hostname: String?
    @Option(help: "Static IPv4 address (default 10.77.0.20).")
    var ip: String?
    @Option(help: "Prefix length of --ip.")
    var prefix: Int = 24
    @Option(help: "Default gateway (default: .1 of the --ip network).")
    var gateway: String?
    @Option(help: "DNS server (repeatable).")
    var dns: [String] = []
    @Flag(help: "After the first boot's facts, reboot the instance (ACPI) and judge it again.")
    var reboot = false
    @Flag(help: "Give the NIC its address by DHCP instead of a static one.")
    var dhcp = false
    @Option(help: "MAC address of the NIC (default: a random 52:54:00:xx:xx:xx).")
    var mac: String?
    @Option(name: .customLong("data-disk-size"), help: "Size of the blank data disk in GiB.")
    var dataDiskSize: Int = 1
    @Option(help: "Memory in MiB.")
    var memory: Int = 1024
    @Option(help: "vCPUs.")
    var cpus: Int = 2
    @Option(help: "Overall timeout in seconds (default: 200 s, times the TCG multiplier under TCG).")
    var timeout: Double?
    @OptionGroup(title: "Hypervisor")
    var hypervisor: HostOptions
    @OptionGroup(title: "Run folder")
    var runFolder: RunFolderOptions
    @OptionGroup(title: "Reports (JSON: schema imagegate-check v1)")
    var reports: ReportOptions

    func validate() throws {
        guard memory >= 256, cpus >= 1, dataDiskSize >= 1 else {
            throw ExitCode.refusing("boot options: --memory must be >= 256, --cpus >= 1, --data-disk-size >= 1")
        }
        if let timeout, !(timeout > 0) { throw ExitCode.refusing("boot options: --timeout must be a positive number of seconds") }
    }

    func instance() throws -> InstanceMetadata {
        var instance = InstanceMetadata.fresh()
        if let hostname { instance.hostname = hostname }
        if let mac { instance.mac = mac.lowercased() }
        if let ip {
            instance.ip = ip
            instance.prefix = prefix
            let network = IPv4(ip).map { $0.inNetwork(prefix, offset: 1).description }
            instance.gateway = gateway ?? network ?? ""
            instance.dns = dns.isEmpty ? [] : dns
        } else if let gateway {
            instance.gateway = gateway
        }
        if !dns.isEmpty { instance.dns = dns }
        instance.dhcp = dhcp
        try instance.validate(source: "boot options")
        return instance
    }

    func run() async throws {
        let (result, digest): (BootResult, CandidateDigest) = try await ExitCode.guarding {
            let instance = try instance()
            var request = BootRequest(instance: instance)
            request.hardware.memoryMiB = memory
            request.hardware.cpus = cpus
            request.dataDiskBytes = Int64(dataDiskSize) << 30
            request.reboot = reboot
            request.timeout = timeout.map(BootRequest.Timeout.wallClock)
            request.options = runFolder.bootOptions
            return try await hypervisor.boot(request, image: image)
        }
        let accelerator = result.plan.accelerator
        let language = reports.language
        let report = CheckReport.boot(result, digest: digest, accelerator: accelerator, language: language)
        try reports.write(report) { try report.json() }
        if reports.jsonToStdout { return try ExitCode.exit(for: report.verdict) }
        let o = result.observation
        say("\nInstance: \(o.instance.hostname) \(o.instance.mac) \(o.instance.dhcp ? "dhcp" : "\(o.instance.ip)/\(o.instance.prefix) via \(o.instance.gateway)")")
        say("Watch ended at \(String(format: "%.1f", o.endedAt)) s: \(o.end); facts via \(o.facts?.channel ?? "no channel")")
        if case let .fatal(hit) = o.end {
            say("Verdict \(String(format: "%.1f", o.endedAt - hit.mark.seconds)) s after the console line (at \(String(format: "%.1f", hit.mark.seconds)) s)")
        }
        say()
        say(InspectionReport.findingsText(report.findings, language: language))
        let diagnosis = Diagnosis.text(report.instances, language: language)
        if !diagnosis.isEmpty { say(diagnosis) }
        if let kept = result.keptRun { KeptRunAdvice.tell(kept) } else if result.kept {
            say("Run folder kept: \(result.plan.directory)")
            say("  (imagegate runs lists it; imagegate stop \(KeptRun.folder(of: result.plan, verdict: []).id) removes it)")
        }
        reports.writtenLines.forEach { say($0) }
        say(InspectionReport.verdictLine(report.findings, language: language))
        try ExitCode.exit(for: report.verdict)
    }
}

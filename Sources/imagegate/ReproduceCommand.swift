import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// `imagegate reproduce`: support's way into a vendor's failure — one
/// scenario instance booted exactly as the check boots it, judged, and
/// left running to step into.
struct ReproduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Boot one scenario instance of an image as the check does, judge it, and leave it running (imagegate console|ssh|stop RUN).",
        discussion: "No static inspection: the boot alone, with the scenario's metadata, hardware, data disk and reboot step. Exit status as imagegate boot.")

    @Argument(help: "The image (qcow2 or raw). Never written: the VM boots an overlay.")
    var image: String
    @Option(help: "Scenario YAML (default: the built-in one-instance scenario).")
    var scenario: String?
    @Option(help: "Which of the scenario's instances to boot (1 for the first).")
    var instance: Int = 1
    @OptionGroup(title: "Hypervisor")
    var hypervisor: HostOptions
    @OptionGroup(title: "Reports (JSON: schema imagegate-check v1)")
    var reports: ReportOptions

    func validate() throws {
        guard instance >= 1 else { throw ExitCode.refusing("reproduce: --instance must be 1 or more") }
    }

    func run() async throws {
        let (result, digest): (BootResult, CandidateDigest) = try await ExitCode.guarding {
            let scenario = try self.scenario.map(Scenario.load(pathOrName:)) ?? .builtIn
            guard instance <= scenario.instances.count else {
                throw ImageGateError.badInput("\(scenario.source): --instance \(instance): the scenario has \(scenario.instances.count) instance(s)")
            }
            var request = BootRequest(scenario, instance: instance - 1)
            request.options = BootOptions(keepRunning: true, postMortem: .never)
            return try await hypervisor.boot(request, image: image)
        }
        let accelerator = result.plan.accelerator
        let language = reports.language
        let report = CheckReport.boot(result, digest: digest, accelerator: accelerator, language: language)
        try reports.write(report) { try report.json() }
        if !reports.jsonToStdout {
            say(InspectionReport.findingsText(report.findings, language: language))
            reports.writtenLines.forEach { say($0) }
            if let kept = result.keptRun { KeptRunAdvice.tell(kept) }
            say(InspectionReport.verdictLine(report.findings, language: language))
        }
        try ExitCode.exit(for: report.verdict)
    }
}

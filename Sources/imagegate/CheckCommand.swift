import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// `imagegate check`: one command per image, one verdict a reviewer can
/// trust, with JUnit, JSON and HTML reports.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Inspect an image read-only, boot each scenario instance, and write one combined verdict and reports.",
        discussion: "Exit status: 0 pass (every error rule checked and held), 1 the image fails, 2 bad input, 3 infrastructure failure, 4 incomplete (nothing failed, but an error rule could not be checked), 130 interrupted."
    )

    @Argument(help: "The image (default: the scenario's image).")
    var image: String?
    @Option(help: "Scenario YAML, or the name of an installed one (reinstance, windows, ...; default: the built-in one-instance scenario, as Scenarios/default-linux.yaml).")
    var scenario: String?
    @OptionGroup(title: "Profile (default: the scenario's, else the seller guide's)")
    var profile: ProfileOptions
    @OptionGroup(title: "Reports (JSON: schema imagegate-check v1)")
    var reports: ReportOptions
    @OptionGroup(title: "Hypervisor")
    var hypervisor: HostOptions
    @OptionGroup(title: "Run folder")
    var runFolder: RunFolderOptions
    @Flag(name: .customLong("no-boot"), help: "Static inspection only, as a queue entry's boot: false: no VM is started and every BOOT rule is could-not-check, with why.")
    var noBoot = false
    @Option(help: ArgumentHelp("Write a reproduction bundle (scenario and profile as used, seeds, domain XML, consoles, facts, post-mortem, reports; not the image) for `imagegate replay`.",
                               valueName: "file.tar.gz"))
    var bundle: String?

    func run() async throws {
        let report: CheckReport = try await ExitCode.guarding {
            let language = reports.language
            let scenario = try self.scenario.map(Scenario.load(pathOrName:)) ?? .builtIn
            guard let imagePath = image ?? scenario.image.map(scenario.resolve) else {
                throw ImageGateError.badInput("no image: give IMAGE or set image: in the scenario")
            }
            let profilePath = self.profile.profile ?? scenario.profile.map(scenario.resolve)
            let profile = try self.profile.load(orPath: profilePath)
            let bundle = self.bundle
            return try await hypervisor.withHost { host in
                var runner = CheckRunner(host: host, scenario: scenario, profile: profile)
                runFolder.configure(&runner, language: language)
                runner.boot = !noBoot
                let configured = runner
                defer { LiveProgress.finish() }
                let report = try await Interrupt.cancellingOnSIGINT { try await configured.run(imagePath) }
                if let bundle {
                    try await ReproductionBundle.write(report, scenario: scenario, profilePath: profilePath, command: CommandLine.arguments, to: bundle)
                }
                return report
            }
        }
        let language = Language(rawValue: report.language) ?? .english
        try reports.write(report) { try report.json() }
        if !reports.jsonToStdout {
            if let inspection = report.staticInspection {
                say("\(language.label(.image)): \(report.image.path) — \(inspection.facts.osName)")
            }
            say("\(language.label(.scenario)): \(report.scenario.name) (\(report.instances.map(\.hostname).joined(separator: ", ")))")
            if let notRun = report.bootPhase { say("\(language.label(.bootPhase)): \(notRun)") }
            say("")
            say(InspectionReport.findingsText(report.findings, language: language))
            let diagnosis = Diagnosis.text(report.instances, language: language)
            if !diagnosis.isEmpty { say(diagnosis) }
            reports.writtenLines.forEach { say($0) }
            report.instances.compactMap(\.keptRun).forEach(KeptRunAdvice.tell)
            if let bundle { say("Bundle: \(bundle) (imagegate replay \(bundle) --image IMAGE)") }
            say(InspectionReport.verdictLine(report.findings, language: language))
        }
        try ExitCode.exit(for: report.verdict)
    }
}

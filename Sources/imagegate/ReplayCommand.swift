import ArgumentParser
import Foundation
import ImageGate
import ImageGateModel

/// `imagegate replay`: a bundle's check again, on this machine, with the
/// same plan (instances, hardware) under this machine's policy
/// (``ReplayPolicy``), and what differs from the recorded outcome.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Check an image again with a reproduction bundle's plan, and show what differs from the recorded outcome.",
        discussion: "The bundle gives the plan (instances, hardware, reboot), within this machine's caps; the profile, limits, waivers and deadlines are this machine's (--profile, else the default). A bundle's waivers are shown as recorded, not applied. Exit status: 0 every rule as recorded, 1 an outcome differs, 2 bad input (another image than the bundle's, without --force; a plan past the caps), 3 infrastructure failure."
    )

    @Argument(help: ArgumentHelp("The bundle `imagegate check --bundle` wrote.", valueName: "bundle.tar.gz"))
    var bundle: String
    @Option(help: "The image to boot: the bundle holds its SHA-256, not the image.")
    var image: String
    @Flag(help: "Replay even if the image's SHA-256 is not the bundle's.")
    var force = false
    @OptionGroup(title: "Policy")
    var policy: ProfileOptions
    @OptionGroup(title: "Reports of the replayed check")
    var reports: ReportOptions
    @OptionGroup(title: "Hypervisor")
    var hypervisor: HostOptions
    @OptionGroup(title: "Run folder")
    var runFolder: RunFolderOptions

    func run() async throws {
        let (recorded, plan, report): (ReproductionBundle.Contents, ReplayPolicy.Plan, CheckReport) = try await ExitCode.guarding {
            let contents = try await ReproductionBundle.read(bundle)
            let profile = try policy.load()
            let plan = try ReplayPolicy(profile: profile).plan(contents.scenario, recordedProfile: contents.profile, source: bundle)
            let image = try await ImageFile.validate(self.image, limits: profile.limits)
            let digest = try CandidateDigest.digest(of: image)
            guard digest == contents.manifest.imageSHA256 || force else {
                throw ImageGateError.badInput("\(self.image): sha256 \(digest) is not the bundle's image (sha256 \(contents.manifest.imageSHA256), recorded from \(contents.manifest.imagePath)); --force replays it anyway")
            }
            return try await hypervisor.withHost { host in
                var runner = CheckRunner(host: host, scenario: plan.scenario, profile: profile)
                runFolder.configure(&runner, language: reports.language)
                let configured = runner
                defer { LiveProgress.finish() }
                return (contents, plan, try await Interrupt.cancellingOnSIGINT { try await configured.run(image, digestBefore: digest) })
            }
        }
        try reports.write(report) { try report.json() }
        let comparison = ReplayComparison(recorded: recorded.report, replayed: report)
        if !reports.jsonToStdout {
            say("Bundle: \(bundle) — recorded by \(recorded.manifest.tool) on \(recorded.manifest.createdAt)")
            say("Recorded command: \(recorded.manifest.command.joined(separator: " "))")
            plan.notApplied.forEach { say("Not applied: \($0)") }
            say(comparison.text)
            reports.writtenLines.forEach { say($0) }
        }
        if !comparison.isIdentical { throw ExitCode.imageFailed }
    }
}

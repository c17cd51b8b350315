import ArgumentParser
import Foundation
import ImageGate
import ImageGateInspection
import ImageGateModel

/// `imagegate inspect`: the static rules on a pristine image, read-only.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Check a disk image read-only against every Linux and security rule, without booting it.",
        discussion: "Exit status: 0 pass (every error rule checked and held), 1 a rule fails, 2 bad input, 3 infrastructure failure, 4 incomplete (nothing failed, but an error rule could not be checked)."
    )

    @Argument(help: "The image (qcow2 or raw). Never written.")
    var image: String

    @OptionGroup(title: "Profile")
    var profile: ProfileOptions

    @Option(help: "Only these rule IDs, comma-separated (e.g. LNX-NO-SWAP,SEC-MACHINE-ID).")
    var rules: String?

    @OptionGroup(title: "Reports (JSON: schema imagegate-inspection v1)")
    var reports: ReportOptions

    /// The rule IDs given, each one of the catalogue's.
    var selectedRules: [String]? { rules.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } }

    func validate() throws {
        guard let selectedRules else { return }
        do {
            _ = try RuleCatalogue.select(selectedRules)
        } catch let error as ImageGateError where error.isBadInput {
            throw ExitCode.refusing(error.message)
        }
    }

    func run() async throws {
        let result = try await ExitCode.guarding {
            let profile = try self.profile.load()
            let selected = try selectedRules.map(RuleCatalogue.select) ?? RuleCatalogue.all
            let accelerator = try await Appliance.localAccelerator()
            let image = try await ImageFile.validate(self.image, limits: profile.limits)
            var (result, digest) = try await CandidateDigest.verifying(image) {
                try await Interrupt.cancellingOnSIGINT {
                    try await StaticInspector(profile: profile, rules: selected, accelerator: accelerator).inspect(image)
                }
            }
            result.digest = digest
            return result
        }
        let language = reports.language
        try reports.write(.inspection(result, language: language)) { try InspectionReport.json(result.localized(language)) }
        if !reports.jsonToStdout {
            say(InspectionReport.text(result.localized(language), language: language), terminator: "")
            reports.writtenLines.forEach { say($0) }
        }
        try ExitCode.exit(for: result.verdict)
    }
}

import ArgumentParser
import Foundation
import ImageGate

/// `imagegate`: proves a marketplace VM image boots as a new instance and
/// follows the platform's rules.
@main
struct ImageGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagegate",
        abstract: "Check a marketplace VM image against the platform's rules.",
        version: ImageGateVersion.line(catalogueDigest: RuleCatalogue.digest),
        subcommands: [CheckCommand.self, InspectCommand.self, BootCommand.self, QueueCommand.self, ReplayCommand.self,
                      ReproduceCommand.self, ProfileCommand.self, RunsCommand.self, ConsoleCommand.self, SSHCommand.self, StopCommand.self, AcceleratorCommand.self, HostsCommand.self]
    )

    static func main() async {
        do {
            try StateDirectory.default.secure()
        } catch {
            complain("\(error)")
            Foundation.exit(ImageGateError.code(of: error).exitStatus)
        }
        do {
            var command = try parseAsRoot()
            // What a crashed or killed run left (its QEMU above all) goes
            // first; a command that only lists ends nothing.
            if !(command is ListingCommand) { LeftoverReaper().reapProcessesAndFolders() }
            defer { LeftoverReaper.removeScratch() }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            LeftoverReaper.removeScratch()
            exit(withError: error)
        }
    }
}

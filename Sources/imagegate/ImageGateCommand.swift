import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

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

    /// Parses first: `--help`, `--version` and an argument error tighten
    /// no state folder and reap nothing (help and the version do not even
    /// make the folder: the libvirt-log hook skips them). An argument
    /// error is bad input, exit 2, with its usage text.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ImageGateError.Code.badInput.exitStatus)
            }
            exit(withError: error)
        }
        // `--help`, `help` (argument-parser's own help command) and no
        // command at all only print.
        if command is ImageGateCommand || type(of: command).configuration.commandName == "help" {
            do { var help = command; try help.run() } catch { exit(withError: error) }
            return
        }
        do {
            try StateDirectory.default.secure()
        } catch {
            complain("\(error)")
            Foundation.exit(ImageGateError.code(of: error).exitStatus)
        }
        await execute(command)
    }

    /// Runs a parsed command in the secured state folder.
    private static func execute(_ parsed: any ParsableCommand) async {
        do {
            var command = parsed
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

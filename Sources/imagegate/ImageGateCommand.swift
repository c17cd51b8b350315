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
        version: "\(ImageGateVersion.current) (rule catalogue \(RuleCatalogue.digest.prefix(12)))",
        subcommands: [CheckCommand.self, InspectCommand.self, BootCommand.self, QueueCommand.self, ReplayCommand.self,
                      ReproduceCommand.self, RunsCommand.self, ConsoleCommand.self, SSHCommand.self, StopCommand.self, AcceleratorCommand.self, HostsCommand.self]
    )

    static func main() async {
        do {
            try StateDirectory.default.secure()
        } catch {
            complain("\(error)")
            Foundation.exit(ImageGateError.code(of: error).exitStatus)
        }
        quietLibvirtLog()
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

    /// libvirt reads `LIBVIRT_LOG_OUTPUTS` once, when the process loads
    /// libguestfs (which initialises libvirt), and otherwise logs warnings to
    /// stderr. Unless the user chose an output, the CLI re-executes itself
    /// once with libvirt's log sent to a file in the state folder.
    private static func quietLibvirtLog() {
        guard getenv("LIBVIRT_LOG_OUTPUTS") == nil else { return }
        let state = StateDirectory.default.path
        // secure() made it already; if not, libvirt logs to stderr as by default.
        guard (try? FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)) != nil
        else { return }
        setenv("LIBVIRT_LOG_OUTPUTS", "3:file:\(state)/libvirt.log", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: carry on with libvirt's default log.
    }
}

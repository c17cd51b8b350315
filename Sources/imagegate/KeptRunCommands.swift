import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// `imagegate runs`: the runs kept running for support, and the boots in
/// progress right now.
struct RunsCommand: AsyncParsableCommand, ListingCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the kept runs (--keep-running, and --keep's folders) and the boots in progress; ends nothing.")

    @Flag(help: "Print the kept runs as JSON.")
    var json = false

    func run() async throws {
        let kept = KeptRun.all()
        if json {
            print(String(decoding: try JSONEncoder.report.encode(kept), as: UTF8.self))
            return
        }
        if kept.isEmpty {
            say("No kept runs.")
        } else {
            say("Kept runs (end each with imagegate stop RUN):")
            for run in kept {
                let state = run.folderOnly == true ? "folder" : run.isRunning.map { $0 ? "running" : "stopped" } ?? "remote"
                say("  \(run.id)  \(state)  \(run.hostname)  ssh 127.0.0.1:\(run.sshPort)  kept \(Self.age(run.age())) ago  \(run.verdict)  \(run.image)")
            }
        }
        let busy = StateDirectory.default.bootsInProgress()
        if !busy.isEmpty {
            say("Boots in progress:")
            busy.forEach { say("  \($0)") }
        }
    }

    static func age(_ seconds: Double) -> String {
        seconds < 3600 ? "\(Int(seconds / 60)) min" : String(format: "%.1f h", seconds / 3600)
    }
}

/// `imagegate console RUN`: the kept run's serial console.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach to a kept run's serial console (ttyS0) through libvirt; Ctrl-] leaves it running.",
        discussion: "Works when the guest's network does not. With input from a pipe, what is piped is typed, and the console's answer is shown for 2 s after the pipe ends.")

    @Argument(help: "The kept run's ID (imagegate runs).")
    var run: String

    func run() async throws {
        try await ExitCode.guarding {
            let kept = try KeptRun.find(run)
            guard kept.isRunning != false else { throw ImageGateError.badInput("\(kept.id): its VM is no longer running (imagegate stop \(kept.id) removes it)") }
            try await LibvirtHost.with(kept.uri) { host in
                guard let vm = try await host.instances(prefix: kept.vmName).first(where: { $0.name == kept.vmName }) else {
                    throw ImageGateError.badInput("\(kept.id): libvirt knows no VM \(kept.vmName) any more")
                }
                let console = try await vm.openConsole()
                let terminal = RawTerminal(STDIN_FILENO)
                FileHandle.standardError.write(Data("Connected to \(kept.id) (\(kept.hostname), ttyS0). Leave with Ctrl-]; the VM keeps running.\(terminal == nil ? "" : "\r")\n".utf8))
                let end = try await ConsoleSession().run(console)
                terminal?.restore()
                if end == .consoleClosed { complain("\(kept.id): the console closed (the VM stopped, or another console took it over)") }
            }
        }
    }
}

/// `imagegate ssh RUN [-- COMMAND…]`: SSH into a kept run as ImageGate's
/// test user, with the run's own key.
struct SSHCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "SSH into a kept run as the test user (the run's own key, its loopback port); with a command, run it there, its output filtered as the console's.")

    @Argument(help: "The kept run's ID (imagegate runs).")
    var run: String
    @Argument(parsing: .postTerminator, help: "A command to run in the guest (after --).")
    var command: [String] = []

    func run() async throws {
        let arguments: [String] = try await ExitCode.guarding {
            let kept = try KeptRun.find(run)
            guard kept.isRunning != false else { throw ImageGateError.badInput("\(kept.id): its VM is no longer running (imagegate stop \(kept.id) removes it)") }
            return kept.sshArguments(command: command, terminal: isatty(STDIN_FILENO) == 1)
        }
        // A command, or an interactive session alike: ssh keeps the terminal
        // as its input (its modes, window size and signals), and what the
        // guest prints reaches it through the console's filter.
        throw ExitCode(try FilteredSSH.run(arguments))
    }
}

/// ssh with its output (stdout and stderr alike) through
/// ``TerminalControlFilter``, as the console's: a guest's motd, shell or
/// command cannot set the reviewer's clipboard or title.
enum FilteredSSH {
    /// Runs ssh with `arguments`; returns its exit status.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.standardInput
        do {
            try process.run()
        } catch {
            complain("cannot run ssh: \(error)")
            return ImageGateError.Code.infrastructure.exitStatus
        }
        let group = DispatchGroup()
        for (pipe, target) in [(out, FileHandle.standardOutput), (err, FileHandle.standardError)] {
            group.enter()
            DispatchQueue.global().async {
                var filter = TerminalControlFilter()
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    target.write(Data(filter.filter([UInt8](chunk))))
                }
                group.leave()
            }
        }
        group.wait()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `imagegate stop RUN…`: ends kept runs.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Destroy kept runs' VMs and remove their files: by ID, or every one older than a limit.")

    @Argument(help: "Kept run IDs (imagegate runs).")
    var runs: [String] = []
    @Option(name: .customLong("older-than"), help: ArgumentHelp("Also stop every kept run kept longer ago than this many hours.", valueName: "hours"))
    var olderThan: Double?

    func validate() throws {
        if runs.isEmpty, olderThan == nil { throw ExitCode.refusing("stop: name a run (imagegate runs lists them) or give --older-than HOURS") }
        if let olderThan, !(olderThan >= 0) { throw ExitCode.refusing("stop: --older-than must be a number of hours, 0 or more") }
    }

    func run() async throws {
        try await ExitCode.guarding {
            var chosen = try runs.map { try KeptRun.find($0) }
            if let olderThan { chosen += KeptRun.all().filter { $0.age() > olderThan * 3600 && !chosen.contains($0) } }
            for kept in chosen {
                try await kept.stop()
                say("Stopped \(kept.id) (\(kept.hostname)): \(kept.folderOnly == true ? "" : "VM destroyed, ")\(kept.directory) removed")
            }
            if chosen.isEmpty { say("No kept run is older than \(olderThan ?? 0) h.") }
        }
    }
}

/// What a reviewer is told about a run left running.
enum KeptRunAdvice {
    static func tell(_ kept: KeptRun) {
        say("Kept running: \(kept.id) (\(kept.hostname)). Step in: imagegate console \(kept.id) | imagegate ssh \(kept.id); end it: imagegate stop \(kept.id)")
    }
}

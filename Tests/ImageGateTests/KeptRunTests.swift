import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
import TestSupport
import XCTest

/// Runs kept running for support: the record, the reaper's respect for
/// it, the console's session and filter; and on a real failed boot (a
/// fixture that breaks only after a reboot), `imagegate runs`, `console`,
/// `ssh` and `stop`.
final class KeptRunTests: XCTestCase {
    let imagegate = FixtureManifest.packageRoot + "/.build/debug/imagegate"

    func record(_ state: StateDirectory, owner: String, hostname: String) throws -> KeptRun {
        let directory = state.runs + "/boot-\(owner)-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var instance = InstanceMetadata.fresh()
        instance.hostname = hostname
        let plan = BootPlan(image: ImageFile(path: "/images/vendor.qcow2", format: "qcow2", virtualSize: 1 << 30), instance: instance,
                            accelerator: .tcg, sshPort: 40000, directory: directory, name: VMName.make(.boot))
        let kept = KeptRun(plan: plan, uri: "qemu:///embed?root=\(state.libvirtRoot)/3", verdict: [])
        try kept.write()
        return kept
    }

    /// A dead owner's run folder is reaped; a kept one is not, and is
    /// found by its ID or a unique start of it.
    func testTheReaperSparesAKeptRunAndFindFindsIt() throws {
        let state = StateDirectory(path: NSTemporaryDirectory() + "kept-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        let deadOwner = "999999.1"
        let kept = try record(state, owner: deadOwner, hostname: "kept-1")
        let orphan = state.runs + "/boot-\(deadOwner)-0badc0de"
        try FileManager.default.createDirectory(atPath: orphan, withIntermediateDirectories: true)

        let reaped = LeftoverReaper(state: state).reapProcessesAndFolders()
        XCTAssertEqual(reaped, ["run folder boot-\(deadOwner)-0badc0de"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept.directory + "/kept.json"), "the kept run survives the reaper")
        XCTAssertEqual(KeptRun.all(state: state).map(\.id), [kept.id])
        XCTAssertEqual(try KeptRun.find(kept.id, state: state).vmName, kept.vmName)
        XCTAssertEqual(try KeptRun.find(String(kept.id.prefix(3)), state: state).id, kept.id)
        XCTAssertEqual(kept.embeddedRoot, state.libvirtRoot + "/3")
        XCTAssertThrowsError(try KeptRun.find("zzzz", state: state)) { error in
            XCTAssertEqual((error as? ImageGateError)?.message, "zzzz: no kept run has this ID (imagegate runs lists them)")
        }
        // Its root is not handed to a new process.
        try FileManager.default.createDirectory(atPath: state.libvirtRoot, withIntermediateDirectories: true)
        let roots = try (0..<4).map { _ in try EmbeddedRoot.lockFirstFree(in: state.libvirtRoot, avoiding: [kept.embeddedRoot!]) }
        XCTAssertEqual(roots, [0, 1, 2, 4].map { state.libvirtRoot + "/\($0)" }, "the kept run's root 3 is skipped")
    }

    /// `stop --older-than HOURS` ends the kept runs kept longer ago than
    /// that, and leaves the others (a run whose VM is already gone is
    /// removed all the same).
    func testStopOlderThanEndsOnlyTheOldKeptRuns() throws {
        // Short: QEMU's monitor socket path in it must fit a sockaddr_un.
        let state = StateDirectory(path: NSTemporaryDirectory() + "igs-" + UUID().uuidString.prefix(6))
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        var old = try record(state, owner: "999999.1", hostname: "old-1")
        old.keptAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3 * 3600))
        try old.write()
        let recent = try record(state, owner: "999999.1", hostname: "recent-1")
        let stop = try Shell.run(imagegate, ["stop", "--older-than", "2"], environment: ["IMAGEGATE_STATE_DIR": state.path, "IMAGEGATE_ACCEL": "tcg"])
        XCTAssertEqual(stop.status, 0, stop.stdout + stop.stderr)
        XCTAssertTrue(stop.stdout.contains("Stopped \(old.id) (old-1)"), stop.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: old.directory))
        XCTAssertEqual(KeptRun.all(state: state).map(\.id), [recent.id])
        let none = try Shell.run(imagegate, ["stop", "--older-than", "2"], environment: ["IMAGEGATE_STATE_DIR": state.path, "IMAGEGATE_ACCEL": "tcg"])
        XCTAssertTrue(none.stdout.contains("No kept run is older than 2.0 h."), none.stdout)
    }

    /// Bad input to the kept-run commands: one line naming it, exit 2.
    func testTheKeptRunCommandsRefuseBadInputInOneLine() throws {
        let conformant = try FixtureManifest.image("debian12-conformant")
        for (arguments, message) in [
            (["console", "no-such-run"], "no-such-run: no kept run has this ID (imagegate runs lists them)"),
            (["ssh", "no-such-run", "--", "true"], "no-such-run: no kept run has this ID"),
            (["stop", "no-such-run"], "no-such-run: no kept run has this ID"),
            (["stop"], "stop: name a run"),
            (["reproduce", conformant, "--scenario", FixtureManifest.packageRoot + "/Scenarios/reboot.yaml", "--instance", "2"],
             "reboot.yaml: --instance 2: the scenario has 1 instance(s)"),
        ] {
            let result = try Shell.run(imagegate, arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    /// OSC, DCS and APC strings (titles, the clipboard) are dropped even
    /// when split across chunks; text, colours and CR/LF pass.
    func testTheConsoleFilterDropsControlStringsAndKeepsText() {
        var filter = TerminalControlFilter()
        let osc52 = Array("\u{1B}]52;c;ZXZpbA==\u{07}".utf8)
        var out = filter.filter(Array("login: ".utf8) + osc52.prefix(5))
        out += filter.filter(Array(osc52.dropFirst(5)) + Array("\u{1B}[1;31mred\u{1B}[0m\r\n".utf8))
        out += filter.filter(Array("\u{1B}]0;pwned title\u{1B}\\ok \u{1B}P1$r\u{1B}\\\u{9D}8;;x\u{07}end".utf8))
        out += filter.filter(Array(" \u{1B}\u{1B}]52;c;eA==\u{07}é".utf8))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "login: \u{1B}[1;31mred\u{1B}[0m\r\nok end \u{1B}é")
        // A control string that never ends gives the text back after its cap.
        var endless = TerminalControlFilter()
        let swallowed = endless.filter([0x1B, 0x5D] + [UInt8](repeating: 0x41, count: TerminalControlFilter.stringLimit + 10))
        XCTAssertEqual(swallowed.count, 9)
    }

    /// What is typed goes to the guest up to the escape key, which ends
    /// the session; the guest's answer reaches the output filtered.
    func testTheConsoleSessionTypesUntilTheEscapeKey() async throws {
        let channel = FakeConsole(answer: Array("\r\nig-1 login: \u{1B}]2;x\u{07}".utf8))
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&input), 0)
        XCTAssertEqual(pipe(&output), 0)
        defer { [input[0], input[1], output[0], output[1]].forEach { close($0) } }
        var session = ConsoleSession()
        session.input = input[0]
        session.output = output[1]
        _ = "\r".withCString { write(input[1], $0, 1) }
        let typed = Task { try await session.run(channel) }
        try await Task.sleep(for: .milliseconds(300))
        _ = [UInt8]([0x61, ConsoleSession.escape, 0x62]).withUnsafeBytes { write(input[1], $0.baseAddress, 3) }
        let end = try await typed.value
        XCTAssertEqual(end, .escaped)
        XCTAssertEqual(channel.typed, [0x0D, 0x61], "typed up to the escape key, not after it")
        XCTAssertTrue(channel.closed)
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(output[0], &buffer, buffer.count)
        XCTAssertEqual(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self), "\r\nig-1 login: ")
    }

    /// The fixture that breaks only on a second boot, under the reboot
    /// scenario, kept running: listed, spared by the next process's reaper,
    /// reached over ssh and on its serial console (Enter → login prompt,
    /// Ctrl-] leaves), and `imagegate stop` leaves nothing behind.
    func testAFailedRunKeptRunningIsReachedByConsoleAndSSHAndStopLeavesNothing() async throws {
        let dir = NSTemporaryDirectory() + "kept-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let variant = try XCTUnwrap(try FixtureManifest.load().variants.first { $0.name == "data-lost-on-reboot" })
        // Runs kept on purpose by someone else in the shared state folder stay.
        let othersKept = Set(KeptRun.all().map(\.id))
        // The reboot scenario on the suite's hardware (``TestHardware``).
        let reboot = try String(contentsOfFile: FixtureManifest.packageRoot + "/Scenarios/reboot.yaml", encoding: .utf8)
        try (reboot + TestHardware.scenarioYAML).write(toFile: dir + "/reboot.yaml", atomically: true, encoding: .utf8)
        try await FixtureManifest.withCandidate(variant.name) { candidate in
            let check = try await Shell.runAsync(imagegate, ["check", candidate, "--scenario", dir + "/reboot.yaml",
                                                             "--keep-running", "--lang", "en", "--json", dir + "/report.json", "--html", dir + "/report.html"])
            let report = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json")))
            let kept = try XCTUnwrap(report.instances.first?.keptRun, check.stdout + check.stderr)
            var stopped = false
            defer { if !stopped { _ = try? Shell.run(imagegate, ["stop", kept.id]) } }

            // Fails after the reboot only, as the manifest says.
            XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
            for rule in variant.rebootFails ?? [] {
                let finding = try XCTUnwrap(report.findings.first { $0.rule == rule })
                XCTAssertEqual(finding.outcome, .fail, "\(rule): \(finding.found)")
                XCTAssertTrue(finding.found.hasPrefix("after a reboot:") && finding.found.contains("on the first boot: pass"), finding.found)
            }
            let failedBootRules = Set(report.findings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == .fail }.map(\.rule))
            XCTAssertEqual(failedBootRules, Set(variant.rebootFails ?? []), "only what the reboot breaks")
            XCTAssertNotNil(report.instances.first?.afterReboot?.timeline["kernel"], "a second kernel started")
            // Every other BOOT rule held on both boots, and says so.
            let passed = report.findings.filter { finding in finding.outcome == .pass && BootRules.catalogue.contains { $0.id == finding.rule } }
            XCTAssertGreaterThanOrEqual(passed.count, 5, "\(report.findings.map(\.rule))")
            for finding in passed {
                XCTAssertTrue(finding.found.contains("again after a reboot"), "\(finding.rule): \(finding.found)")
            }
            XCTAssertTrue(check.stdout.contains("imagegate console \(kept.id)") && check.stdout.contains("imagegate stop \(kept.id)"), check.stdout)
            let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
            XCTAssertTrue(html.contains("<code>imagegate console \(kept.id)</code>") && html.contains("After the reboot (seconds after it)"), "the HTML report shows the kept run and the second boot")

            // Listed, and still running after another process's start (its reaper).
            let runs = try await Shell.runAsync(imagegate, ["runs"])
            XCTAssertTrue(runs.stdout.contains("\(kept.id)  running  \(kept.hostname)"), runs.stdout)
            XCTAssertNotNil(ChildReaper.pid(ofGuest: kept.vmName), "the kept VM runs after the reaper")

            let ssh = try await Shell.runAsync(imagegate, ["ssh", kept.id, "--", "true"])
            XCTAssertEqual(ssh.status, 0, ssh.stderr)
            let hostname = try await Shell.runAsync(imagegate, ["ssh", kept.id, "--", "hostname"])
            XCTAssertEqual(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines), kept.hostname)
            // A guest's output cannot reach beyond the reviewer's screen (OSC 52: the clipboard).
            let motd = try await Shell.runAsync(imagegate, ["ssh", kept.id, "--", "printf", #"'\033]52;c;aGk=\007shown\n'"#])
            XCTAssertEqual(motd.status, 0, motd.stderr)
            XCTAssertEqual(motd.stdout, "shown\n", "no ESC reaches stdout")

            let logged = try FileManager.default.attributesOfItem(atPath: kept.consoleLog)[.size] as? Int
            let console = try await ScriptedConsole.run(imagegate, ["console", kept.id], waitFor: "\(kept.hostname) login:")
            XCTAssertTrue(console.sawPrompt, "the login prompt after Enter: \(console.output)")
            let loggedAfter = try FileManager.default.attributesOfItem(atPath: kept.consoleLog)[.size] as? Int
            XCTAssertEqual(loggedAfter, logged, "the console log ends at the verdict: what the guest writes later is not written to a file")
            XCTAssertGreaterThan(logged ?? 0, 0)
            XCTAssertEqual(console.status, 0, "Ctrl-] leaves the console: \(console.output)")
            XCTAssertNotNil(ChildReaper.pid(ofGuest: kept.vmName), "leaving the console leaves the VM running")

            let stop = try await Shell.runAsync(imagegate, ["stop", kept.id])
            stopped = true
            XCTAssertEqual(stop.status, 0, stop.stdout + stop.stderr)
            XCTAssertNil(ChildReaper.pid(ofGuest: kept.vmName), "no QEMU")
            XCTAssertFalse(FileManager.default.fileExists(atPath: kept.directory), "no run folder")
            XCTAssertEqual(Set(KeptRun.all().map(\.id)), othersKept)
            let after = try await Shell.runAsync(imagegate, ["runs"])
            XCTAssertFalse(after.stdout.contains(kept.id), after.stdout)
            if othersKept.isEmpty { XCTAssertTrue(after.stdout.contains("No kept runs."), after.stdout) }
            let gone = try await Shell.runAsync(imagegate, ["ssh", kept.id, "--", "true"])
            XCTAssertEqual(gone.status, 2, "a stopped run is bad input: \(gone.stderr)")
        }
    }
}

/// A console that answers once, then records what is typed.
final class FakeConsole: ConsoleChannel, @unchecked Sendable {
    private let lock = NSLock()
    private var answer: [UInt8]
    private var received: [UInt8] = []
    private var isClosed = false
    init(answer: [UInt8]) { self.answer = answer }
    func receive(limit: Int) throws -> [UInt8]? {
        lock.withLock { defer { answer = [] }; return Array(answer.prefix(limit)) }
    }
    func send(_ bytes: [UInt8]) throws -> Int { lock.withLock { received += bytes; return bytes.count } }
    func close() { lock.withLock { isClosed = true } }
    var typed: [UInt8] { lock.withLock { received } }
    var closed: Bool { lock.withLock { isClosed } }
}

/// `imagegate console` driven as a person would: Enter, wait for the
/// prompt, then the escape key; stdin stays open throughout.
enum ScriptedConsole {
    struct Outcome { var status: Int32; var output: String; var sawPrompt: Bool }

    static func run(_ program: String, _ arguments: [String], waitFor prompt: String, within seconds: Double = 60) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let seen = LockedLines()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { seen.add(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        try await Task.sleep(for: .seconds(2))
        input.fileHandleForWriting.write(Data("\r".utf8))
        let deadline = Date().addingTimeInterval(seconds)
        var sawPrompt = false
        while Date() < deadline, process.isRunning {
            if seen.lines.joined().contains(prompt) { sawPrompt = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        input.fileHandleForWriting.write(Data([ConsoleSession.escape]))
        let ending = Date().addingTimeInterval(15)
        while process.isRunning, Date() < ending { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        try? input.fileHandleForWriting.close()
        return Outcome(status: process.terminationStatus, output: seen.lines.joined(), sawPrompt: sawPrompt)
    }
}

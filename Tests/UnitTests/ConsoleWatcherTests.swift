import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import TestSupport
import XCTest

/// When the watch of a boot ends, once the guest probe's facts are in:
/// the login prompt on ttyS0 is waited for, within the facts deadline.
final class ConsoleWatcherTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "console-watcher-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A plan whose deadlines are a tenth of KVM's: facts 3 s, login prompt 9 s.
    private func plan() -> BootPlan {
        let instance = InstanceMetadata(hostname: "ig-1", mac: "52:54:00:aa:bb:cc", ip: "10.77.0.20", prefix: 24, gateway: "10.77.0.1", dns: [])
        var plan = BootPlan(image: ImageFile(path: dir + "/x.qcow2", format: "qcow2", virtualSize: 1 << 30), instance: instance,
                            accelerator: .tcg, sshPort: 1, directory: dir, name: "imagegate-test-watch")
        plan.factChannels = [.serial]
        plan.probeNonce = "0f"
        plan.deadlines = BootDeadlines(multiplier: 0.1)
        return plan
    }

    private let boot = "[    0.000000] Linux version 6.1.0-28-cloud-amd64\r\n[    1.000000] systemd[1]: Welcome to Debian\r\n"
        + "Cloud-init v. 22.4.2 finished at Thu, 03 Dec 2026 02:00:00 +0000. Datasource DataSourceNoCloud.  Up 50.00 seconds\r\n"
    private var facts: String { facts(serialGetty: "null") }
    /// The probe's block; `serialGetty`: its JSON for what could still print a prompt.
    private func facts(serialGetty: String) -> String {
        let json = #"{"nonce":"0f","hostname":"ig-1","addresses":[],"routes":[],"data":{"filesystems":[]},"auditd":"active","firewalld":"inactive","cloudInitStatus":{"status":"done","errors":[]},"cloudInitResult":null,"cmdline":"ro","swaps":"","machineID":"abc","hostKeys":"x","failedUnits":"","serialGetty":"#
            + serialGetty + "}"
        return "\(GuestProbe.beginMarker) \(Data(json.utf8).base64EncodedString()) \(GuestProbe.endMarker)\r\n"
    }
    private let prompt = "\r\nDebian GNU/Linux 12 ig-1 ttyS0\r\n\r\nig-1 login: "

    private func consoleFinding(_ observation: BootObservation) -> Finding? {
        BootRules.evaluate(observation).first { $0.rule == "BOOT-CONSOLE" }
    }

    func testFactsBeforeTheLoginPromptWaitForThePrompt() async throws {
        let plan = plan()
        try Data((boot + facts).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let late = Task.detached { [prompt, path = plan.consoleLog] in
            try await Task.sleep(for: .seconds(1))
            try append(prompt, to: path)
        }
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        try await late.value
        guard case .factsReceived = observation.end else { return XCTFail("\(observation.end)") }
        XCTAssertEqual(observation.facts?.hostname, "ig-1")
        XCTAssertNotNil(observation.console.stages[.loginPrompt], "the prompt a second after the facts is seen")
        XCTAssertEqual(consoleFinding(observation)?.outcome, .pass, "\(String(describing: consoleFinding(observation)))")
    }

    func testFactsWithNoPromptEndTheWatchAfterTheFactsDeadline() async throws {
        let plan = plan()
        try Data((boot + facts).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let started = ContinuousClock.now
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        let took = (ContinuousClock.now - started).seconds
        guard case .factsReceived = observation.end else { return XCTFail("\(observation.end)") }
        XCTAssertNotNil(observation.facts, "the facts are kept")
        XCTAssertGreaterThanOrEqual(took, plan.deadlines.facts, "waited for the prompt")
        XCTAssertLessThan(took, plan.deadlines.loginPrompt, "but not to the prompt's own deadline")
        let console = try XCTUnwrap(consoleFinding(observation))
        XCTAssertEqual(console.outcome, .fail)
        XCTAssertTrue(console.found.contains("no login prompt"), console.found)
    }

    /// A block with the run's nonce before cloud-init's finished line (a
    /// unit that read the seed) is held only until that line shows; the
    /// probe's own block after it holds the facts, its time its own.
    func testABlockBeforeCloudInitFinishedIsHeldUntilTheLineThenReplaced() async throws {
        let plan = plan()
        let kernel = "[    0.000000] Linux version 6.1.0-28-cloud-amd64\r\n[    1.000000] systemd[1]: Welcome to Debian\r\n"
        let forged = "\(GuestProbe.beginMarker) \(Data(#"{"nonce":"0f","hostname":"mkt-vm-0001"}"#.utf8).base64EncodedString()) \(GuestProbe.endMarker)\r\n"
        try Data((kernel + forged).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let late = Task.detached { [boot, facts, prompt, path = plan.consoleLog] in
            try await Task.sleep(for: .seconds(1))
            try append(boot.components(separatedBy: "\r\n").dropFirst(2).joined(separator: "\r\n") + facts + prompt, to: path)
        }
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        try await late.value
        guard case .factsReceived = observation.end else { return XCTFail("\(observation.end)") }
        XCTAssertEqual(observation.facts?.hostname, "ig-1", "the probe's own block, not the early one")
        XCTAssertEqual(observation.factsBlocks?.blocks.map(\.standing), [.beforeCloudInit, .accepted])
        XCTAssertEqual(consoleFinding(observation)?.outcome, .fail)
    }

    /// The guest's systemd said nothing was left to print a prompt (the
    /// getty masked, only cloud-init's own jobs queued): no wait.
    func testFactsSayingNoGettyWillComeEndTheWatchAtOnce() async throws {
        let plan = plan()
        let none = #"{"jobs":"412 cloud-final.service start running|413 cloud-init.target start waiting","units":"","processes":"","unitFile":"masked"}"#
        try Data((boot + facts(serialGetty: none)).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let started = ContinuousClock.now
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 1, "no wait for a prompt that cannot come")
        guard case .factsReceived = observation.end else { return XCTFail("\(observation.end)") }
        let console = try XCTUnwrap(consoleFinding(observation))
        XCTAssertEqual(console.outcome, .fail)
        XCTAssertTrue(console.found.contains("the guest has no getty on it"), console.found)
        XCTAssertTrue(console.evidence.contains { $0.text.contains("serial-getty@ttyS0.service: masked") }, "\(console.evidence)")
    }

    /// A getty still queued, a service for ttyS0 starting, or a process on
    /// the line: the prompt may come, and is waited for.
    func testAGettyStillToComeIsWaitedFor() async throws {
        for pending in [#"{"jobs":"414 serial-getty@ttyS0.service start waiting","units":"","processes":"","unitFile":"enabled"}"#,
                        #"{"jobs":"No jobs running.","units":"serial-getty@ttyS0.service loaded activating auto-restart Serial Getty on ttyS0","processes":"","unitFile":"enabled"}"#,
                        #"{"processes":"agetty"}"#] {
            let plan = plan()
            try Data((boot + facts(serialGetty: pending)).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
            let late = Task.detached { [prompt, path = plan.consoleLog] in
                try await Task.sleep(for: .seconds(1))
                try append(prompt, to: path)
            }
            let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
            try await late.value
            XCTAssertNotNil(observation.console.stages[.loginPrompt], pending)
            XCTAssertEqual(consoleFinding(observation)?.outcome, .pass, pending)
        }
    }

    func testAPromptBeforeTheFactsEndsTheWatchOnTheFacts() async throws {
        let plan = plan()
        try Data((boot + prompt + "\r\n" + facts).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let started = ContinuousClock.now
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 1)
        guard case .factsReceived = observation.end else { return XCTFail("\(observation.end)") }
        XCTAssertEqual(consoleFinding(observation)?.outcome, .pass)
    }

    /// A fatal line ends the boot, but the lines right after it (the
    /// panic that follows a missing root) are its evidence: read until the
    /// console is quiet.
    func testTheLinesRightAfterAFatalLineAreKept() async throws {
        let plan = plan()
        let root = "[    5.429490] VFS: Cannot open root device \"UUID=6a1f\" or unknown-block(0,0): error -6\r\n"
        try Data(("[    0.000000] Linux version 6.1.0-28-cloud-amd64\r\n" + root).utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let panic = Task.detached { [path = plan.consoleLog] in
            try await Task.sleep(for: .milliseconds(300))
            try append("[    5.431000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n", to: path)
        }
        let started = ContinuousClock.now
        let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        try await panic.value
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 3, "a quiet console ends the tail")
        guard case let .fatal(hit) = observation.end else { return XCTFail("\(observation.end)") }
        XCTAssertTrue(hit.mark.text.contains("Cannot open root device"), "the first fatal line ended the boot: \(hit.mark.text)")
        let evidence = BootRules.evaluate(observation).first { $0.rule == "BOOT-NO-PANIC" }?.evidence ?? []
        XCTAssertTrue(evidence.contains { $0.text.contains("Kernel panic") }, "\(evidence)")
    }

    /// The VM's last lines — a panic, then the VM gone — written after the
    /// watch's last read: read before the boot is judged as stopped,
    /// whether they are in the file when the VM is found gone or come
    /// through a pump a moment later.
    func testLinesWrittenAsTheVMStoppedAreJudged() async throws {
        let panic = "[    2.000000] Kernel panic - not syncing: No working init found.\r\n"
        for lag in [Duration.zero, .milliseconds(200)] {
            let plan = plan()
            try Data("[    0.000000] Linux version 6.1.0-28-cloud-amd64\r\n".utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
            let vm = StoppingVM(console: plan.consoleLog, lastLines: panic, lag: lag)
            let observation = try await ConsoleWatcher(plan: plan, vm: vm, progress: { _ in }).watch()
            guard case let .fatal(hit) = observation.end else { return XCTFail("lag \(lag): \(observation.end)") }
            XCTAssertTrue(hit.mark.text.contains("Kernel panic"), hit.mark.text)
            XCTAssertTrue(observation.console.text.contains("No working init found"), observation.console.text)
        }
    }
}

private func append(_ text: String, to path: String) throws {
    guard let file = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
    try file.seekToEnd()
    try file.write(contentsOf: Data(text.utf8))
    try file.close()
}

/// A VM that stops at the first look: its last lines reach the console
/// file as it goes (`lag` zero) or `lag` later, as through a pump.
private struct StoppingVM: VirtualMachineInstance {
    let console: String, lastLines: String, lag: Duration
    var name: String { "imagegate-test" }
    func resume() async throws {}
    func destroy() async throws {}
    func isRunning() async throws -> Bool {
        if lag == .zero { try append(lastLines, to: console) } else {
            Task.detached { [console, lastLines, lag] in
                try await Task.sleep(for: lag)
                try append(lastLines, to: console)
            }
        }
        return false
    }
    func xml() async throws -> String { "" }
    func sendKeys(_ keys: [UInt32], holdMilliseconds: UInt32) async throws {}
    func reboot() async throws {}
    func openConsole() async throws -> any ConsoleChannel { throw ImageGateError.infrastructure("no console") }
}


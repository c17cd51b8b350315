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
    /// QEMU's `info registers` for a processor in GRUB (protected mode,
    /// paging off) and in a running kernel (paging on).
    static func registers(cr0: String) -> String {
        "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663\nEIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\n"
            + "GDT=     000f6180 00000037\nCR0=\(cr0) CR2=00000000 CR3=00000000 CR4=00000000\nDR0=00000000 DR1=00000000\n"
    }

    /// ttyS0 silent after the firmware's last line: the hypervisor saying
    /// paging is off ends the watch as a stall before any kernel, at the
    /// silence's length and not at the kernel deadline; paging on is a
    /// quiet kernel, left to the kernel deadline.
    func testSilenceAfterTheFirmwareIsAStallOnlyWhenNoKernelRuns() async throws {
        let firmware = "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from Hard Disk...\r\n"
        var plan = plan()
        try Data(firmware.utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        let stalled = try await ConsoleWatcher(plan: plan, vm: RunningVM(registers: Self.registers(cr0: "00000011")), progress: { _ in }).watch()
        guard case let .stalledBeforeKernel(silent, processor) = stalled.end else { return XCTFail("\(stalled.end)") }
        XCTAssertEqual(processor, "CR0=00000011")
        XCTAssertGreaterThanOrEqual(silent, plan.deadlines.bootLoaderSilence)
        XCTAssertLessThan(stalled.endedAt, plan.deadlines.kernel, "named before the kernel deadline")
        XCTAssertEqual(consoleFinding(stalled)?.outcome, .fail)
        let failures = BootFailure.named(in: stalled.console, end: stalled.end)
        XCTAssertEqual(failures.first?.failureClass, "stalled-before-kernel")
        XCTAssertEqual(failures.first?.lines.last?.text, "Booting from Hard Disk...")
        for quiet in [Self.registers(cr0: "80050033"), nil, "no registers here"] {
            plan.directory = dir
            let observation = try await ConsoleWatcher(plan: plan, vm: RunningVM(registers: quiet), progress: { _ in }).watch()
            guard case .deadline(.kernel, _) = observation.end else { return XCTFail("\(String(describing: quiet)): \(observation.end)") }
        }
    }

    func testPagingIsReadFromTheFirstProcessorsCR0() {
        XCTAssertEqual(ProcessorPaging.read(registers: Self.registers(cr0: "80050033")), .on("CR0=80050033"))
        XCTAssertEqual(ProcessorPaging.read(registers: Self.registers(cr0: "00000010") + "CPU#1\nCR0=80050033\n"), .off("CR0=00000010"))
        XCTAssertNil(ProcessorPaging.read(registers: "CR0=zz"))
        XCTAssertNil(ProcessorPaging.read(registers: ""))
    }

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


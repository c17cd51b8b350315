import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateInspection
@testable import ImageGateModel
import TestSupport
import XCTest

/// Every row of the hostile-input table (issue 16), each input made here by
/// the test: it is refused (exit 2) or judged (a verdict, 1 or 4) with a
/// clear reason, within the time stated per case, with no byte of a host
/// file in any output, and with nothing left behind.
final class HostileInputTests: XCTestCase {
    private var dir = ""
    /// A host file an image must never reach: its bytes are this marker.
    private var secret = ""
    private let marker = "HOST-SECRET-" + UUID().uuidString

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        secret = dir + "/secret.raw"
        try String(repeating: marker + "\n", count: 20_000).write(toFile: secret, atomically: true, encoding: .utf8)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private var binary: String { FixtureManifest.packageRoot + "/.build/debug/imagegate" }

    private func sh(_ program: String, _ arguments: String...) throws {
        let result = try Shell.run(program, arguments)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments): \(result.stderr)")
    }

    /// Runs the CLI in `cwd`; its status, output and how long it took.
    private func imagegate(_ arguments: [String], cwd: String? = nil, environment: [String: String] = [:])
        throws -> (status: Int32, stdout: String, stderr: String, seconds: Double) {
        let started = ContinuousClock.now
        var env = environment
        env["IG_BINARY"] = binary
        env["IG_CWD"] = cwd ?? dir
        let script = "cd \"$IG_CWD\" && exec \"$IG_BINARY\" \"$@\""
        let result = try Shell.run("sh", ["-c", script, "imagegate"] + arguments, environment: env)
        return (result.status, result.stdout, result.stderr, (ContinuousClock.now - started).seconds)
    }

    private func assertNoSecret(_ texts: String..., file: StaticString = #filePath, line: UInt = #line) {
        for text in texts { XCTAssertFalse(text.contains(marker), "a host file's bytes reached the output", file: file, line: line) }
    }

    // MARK: 1. A `json:` file name

    /// The file literally named `json:{…}` is a qcow2 whose backing file is
    /// a host file; the name, read as QEMU syntax, points at a clean image.
    /// ImageGate opens the literal file and refuses it. Bound: 30 s.
    func testAJSONPseudoFileNameIsOnlyAName() throws {
        try sh("qemu-img", "create", "-q", "-f", "qcow2", dir + "/ok.qcow2", "64M")
        let name = #"json:{"driver":"qcow2","file":{"driver":"file","filename":"ok.qcow2"}}"#
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", dir + "/" + name)
        let run = try imagegate(["inspect", name, "--json", "-"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("backing file"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertLessThan(run.seconds, 30)
        assertNoSecret(run.stdout, run.stderr)
    }

    // MARK: 2. The file swapped after validation

    /// After validation another file is renamed over the path: every tool
    /// still sees the file that was validated. Bound: 30 s.
    func testSwappingTheFileAfterValidationChangesNothing() async throws {
        let path = dir + "/candidate.qcow2", evil = dir + "/evil.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil)
        let image = try await ImageFile.validate(path)
        let (_, digest) = try await CandidateDigest.verifying(image) {
            XCTAssertEqual(rename(evil, path), 0, "the swap")
            // What the overlay and libguestfs are given still opens the
            // validated file, which has no backing file.
            let info = try Shell.run("qemu-img", ["info", "-U", "--output=json", image.accessPath])
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertFalse(info.stdout.contains("backing-filename"), info.stdout)
            let overlay = dir + "/overlay.qcow2"
            try sh("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image.accessPath, overlay)
            let chain = try Shell.run("qemu-img", ["info", "-U", "--backing-chain", overlay])
            XCTAssertFalse(chain.stdout.contains(secret), chain.stdout)
            let read = try Shell.run("qemu-io", ["-r", "-f", "qcow2", "-c", "read -v 0 4096", overlay])
            self.assertNoSecret(read.stdout)
        }
        XCTAssertEqual(digest.before, digest.after, "the digest is of the validated file, before and after the swap")
        XCTAssertNotEqual(digest.before, try FileDigest.sha256(path), "the path now names another file")
    }

    // MARK: 3. FIFOs, devices, hung tools

    /// A symlink to a FIFO is refused without blocking; a block or
    /// character device is refused. Bound: 10 s each.
    func testAFIFOOrADeviceIsRefusedAtOnce() throws {
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o600), 0)
        XCTAssertEqual(symlink(dir + "/fifo", dir + "/image.qcow2"), 0)
        XCTAssertEqual(mknod(dir + "/block", S_IFBLK | 0o600, deviceNumber(7, 0)), 0, "mknod needs root")
        XCTAssertEqual(symlink("/dev/zero", dir + "/zero.raw"), 0)
        for (path, what) in [("image.qcow2", "a FIFO"), ("block", "a block device"), ("zero.raw", "a character device")] {
            let run = try imagegate(["inspect", path])
            XCTAssertEqual(run.status, 2, "\(path): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("not a regular file (\(what)"), "\(path): \(run.stderr)")
            XCTAssertLessThan(run.seconds, 10, path)
        }
    }

    /// A tool past its deadline is killed, even one that ignores SIGTERM;
    /// one that writes without end is stopped at its cap; neither is left
    /// running. Bound: 5 s each.
    func testEveryToolRunHasADeadlineAndAnOutputCap() async throws {
        let tag = "imagegate-test-" + UUID().uuidString.prefix(8)
        let started = ContinuousClock.now
        do {
            _ = try await BoundedProcess.run("sh", ["-c", "trap '' TERM; sleep 60; echo \(tag)"], timeout: .seconds(1))
            XCTFail("a hung tool returned")
        } catch let failure as BoundedProcess.Failure {
            XCTAssertEqual(failure, .timedOut(program: "sh", seconds: 1))
        }
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 5)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(processes(containing: tag).isEmpty, "the hung tool was killed")

        let flood = ContinuousClock.now
        do {
            _ = try await BoundedProcess.run("yes", [], timeout: .seconds(30), outputLimit: 1 << 20)
            XCTFail("an endless writer returned")
        } catch let failure as BoundedProcess.Failure {
            XCTAssertEqual(failure, .outputTooLarge(program: "yes", limit: 1 << 20))
        }
        XCTAssertLessThan((ContinuousClock.now - flood).seconds, 5)

        // Cancelling the caller (Ctrl-C) ends the tool too.
        let task = Task { try await BoundedProcess.run("sh", ["-c", "sleep 60; echo \(tag)"], timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        _ = try? await task.value
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(processes(containing: tag).isEmpty, "a cancelled tool was killed")
    }

    private func processes(containing text: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard Int32(entry) != nil, let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains(text)
        }
    }

    // MARK: 4, 6, 9, 11. A hostile guest filesystem, end to end

    /// A disk whose guest files are a FIFO (`/etc/fstab`), a character
    /// device (`sshd_config`), a 2 GiB sparse file (`/etc/hosts`), a
    /// symlink loop (`/etc/machine-id`), an os-release whose name carries
    /// terminal escapes and a bidi override, and a package version that
    /// tries to break out of an HTML attribute with a combining mark. The
    /// inspection ends with a verdict naming each problem, prints nothing a
    /// terminal acts on, writes reports that parse, and leaves nothing
    /// behind. Bound: 180 s.
    func testAHostileGuestFilesystemGetsAVerdictAndLeavesNothing() async throws {
        let tree = dir + "/tree"
        for folder in ["etc/ssh", "var/lib/dpkg", "lib/modules", "boot"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + folder, withIntermediateDirectories: true)
        }
        let esc = "\u{1B}"
        try """
            NAME="Debian GNU/Linux"
            PRETTY_NAME="Debian\(esc)]0;owned\u{07}\(esc)[2J GNU/Linux 12 \u{202E}lmth.exe"
            ID=debian
            VERSION_ID="12"

            """.write(toFile: tree + "/etc/os-release", atomically: true, encoding: .utf8)
        try "12.5\n".write(toFile: tree + "/etc/debian_version", atomically: true, encoding: .utf8)
        try """
            Package: cloud-init
            Status: install ok installed
            Version: 22.4"\u{0301}><b>injected</b><x\u{0301}

            """.write(toFile: tree + "/var/lib/dpkg/status", atomically: true, encoding: .utf8)
        XCTAssertEqual(mkfifo(tree + "/etc/fstab", 0o644), 0)
        XCTAssertEqual(mknod(tree + "/etc/ssh/sshd_config", S_IFCHR | 0o644, deviceNumber(1, 5)), 0, "mknod needs root")
        try sh("truncate", "-s", "2G", tree + "/etc/hosts")
        XCTAssertEqual(symlink("machine-id", tree + "/etc/machine-id"), 0)
        try sh("truncate", "-s", "256M", dir + "/disk.raw")
        try sh("mkfs.ext4", "-q", "-F", "-d", tree, dir + "/disk.raw")
        try sh("qemu-img", "convert", "-O", "qcow2", dir + "/disk.raw", dir + "/hostile.qcow2")
        try? FileManager.default.removeItem(atPath: tree)
        try? FileManager.default.removeItem(atPath: dir + "/disk.raw")

        // A state folder of its own, which the appliance's QEMU names on its
        // command line (its overlay is in the run's scratch folder): what
        // other processes run meanwhile (make test runs two test classes at
        // once) is not counted. Short: QEMU's socket paths must fit.
        let state = "/tmp/igh-" + UUID().uuidString.prefix(6)
        defer { try? FileManager.default.removeItem(atPath: state) }
        // The libguestfs socket folders (in /tmp, for root) its appliances use, seen while it runs.
        let watcher = Task.detached { () -> Set<String> in
            var seen = Set<String>()
            while !Task.isCancelled {
                seen.formUnion(commandLines(containing: state + "/").flatMap(libguestfsFolders(named:)))
                try? await Task.sleep(for: .milliseconds(100))
            }
            return seen
        }
        let run = try imagegate(["inspect", "hostile.qcow2", "--json", "r.json", "--junit", "j.xml", "--html", "r.html"],
                                environment: ["IMAGEGATE_STATE_DIR": state])
        watcher.cancel()
        let sockets = await watcher.value
        XCTAssertTrue([1, 4].contains(run.status), "a verdict: \(run.status) \(run.stderr)")
        XCTAssertLessThan(run.seconds, 180)
        let out = run.stdout + run.stderr
        XCTAssertFalse(out.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" },
                       "nothing a terminal acts on: \(out.debugDescription)")
        XCTAssertTrue(out.contains("/etc/fstab is not a regular file"), out)
        XCTAssertTrue(out.contains("/etc/hosts is larger than"), out)
        XCTAssertTrue(out.contains("/etc/ssh/sshd_config is not a regular file"), out)

        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<b>injected</b>"), "HTML injection")
        XCTAssertFalse(html.unicodeScalars.contains { $0 == "\u{1B}" }, "escapes in HTML")
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/j.xml"])
        XCTAssertEqual(lint.status, 0, lint.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))))

        // Nothing left: no QEMU, no libguestfs socket folder, no run or scratch folder.
        // An appliance's QEMU may take a moment to go under load; one that stays is left running.
        var left = commandLines(containing: state + "/")
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = commandLines(containing: state + "/")
        }
        XCTAssertEqual(left, [], "an appliance QEMU left running")
        XCTAssertFalse(sockets.isEmpty, "the appliance's socket folder was seen while it ran")
        XCTAssertEqual(sockets.filter { FileManager.default.fileExists(atPath: $0) }, [], "libguestfs temporary folders left behind")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: state + "/runs")) ?? []
        XCTAssertEqual(runs, [], "folders of the finished run")
    }

    // MARK: 5. Initramfs

    /// A newc size field with a sign, a huge one, a decompression bomb, and
    /// compressed archives nested too deep: each an error, at once. Bound: 10 s.
    func testAHostileInitramfsIsAnErrorNotALoopOrABomb() async throws {
        func header(size: String, nameSize: Int = 6) -> [UInt8] {
            Array("070701".utf8) + (0..<13).flatMap { index -> [UInt8] in
                index == 6 ? Array(size.utf8) : Array(String(format: "%08X", index == 11 ? nameSize : 0).utf8)
            } + Array("hello".utf8) + [0]
        }
        let started = ProcessCPUTime.seconds()
        for size in ["-0000070", "-7FFFFFF", "+0000001", "0x00001F", "FFFFFFFF"] {
            let bytes = header(size: size) + [UInt8](repeating: 0, count: 64)
            do {
                let names = try await InitramfsArchive.list(bytes)
                XCTFail("size field \(size) was accepted: \(names)")
            } catch {
                XCTAssertTrue(error is InitramfsArchive.Unreadable, "\(size): \(error)")
            }
        }
        XCTAssertLessThan(ProcessCPUTime.seconds() - started, 2, "CPU seconds")

        // 256 MiB of zeros gzipped, against a 16 MiB limit.
        let bomb = try Shell.run("sh", ["-c", "head -c 268435456 /dev/zero | gzip -1 > \(dir)/bomb.gz"])
        XCTAssertEqual(bomb.status, 0)
        let compressed = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/bomb.gz")))
        let scratch = dir
        do {
            _ = try await InitramfsArchive.list(compressed, limits: .init(decompressedBytes: 16 << 20, scratch: scratch))
            XCTFail("a bomb was decompressed")
        } catch {
            XCTAssertTrue("\(error)".contains("decompresses to more than 16 MiB"), "\(error)")
        }
        // gzip inside gzip inside gzip inside gzip.
        try Data("070701".utf8).write(to: URL(fileURLWithPath: dir + "/n0"))
        for level in 1...4 {
            XCTAssertEqual(try Shell.run("sh", ["-c", "gzip -c \(dir)/n\(level - 1) > \(dir)/n\(level)"]).status, 0)
        }
        let nested = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/n4")))
        do {
            _ = try await InitramfsArchive.list(nested, limits: .init(depth: 3, scratch: scratch))
            XCTFail("nesting was followed")
        } catch {
            XCTAssertTrue("\(error)".contains("nested more than 3 deep"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("initramfs-") }, [],
                       "no decompressor input left behind")
    }

    // MARK: 6, 9. Escaping

    func testEscapingIsPerScalarAndDropsWhatXMLCannotCarry() {
        let hostile = "a\"\u{0301} onmouseover=x <\u{0301}b>\u{0}\u{1B}[2J\u{FFFE}"
        let escaped = XML.escape(hostile)
        XCTAssertFalse(escaped.unicodeScalars.contains { ["\"", "<", ">", "\u{0}", "\u{1B}", "\u{FFFE}"].contains($0) }, escaped)
        XCTAssertTrue(escaped.contains("&quot;\u{0301}"), escaped)
        XCTAssertTrue(escaped.contains("&lt;\u{0301}"), escaped)

        let terminal = TerminalText.sanitize("ok\u{1B}]0;title\u{07}\u{9B}31m\u{7F}\u{202E}dlrow\u{2066}\n\tend")
        XCTAssertEqual(terminal, "ok]0;title31mdlrow\n\tend")
        XCTAssertEqual(ConsoleLog.clean("x\u{1B}[1mbold\u{1B}[0m\u{85}\u{202D}y\r"), "xboldy")
    }

    // MARK: 7. Console flood

    /// Megabytes of newlines, and a line megabytes long: linear time,
    /// bounded memory. Bound: 5 CPU seconds (the process's own, whatever
    /// else the machine runs).
    func testAConsoleFloodIsLinearAndBounded() {
        var limits = ConsoleLog.Limits()
        limits.floodBytes = 8 << 20
        var log = ConsoleLog(limits: limits)
        let started = ProcessCPUTime.seconds()
        let newlines = String(repeating: "\n", count: 1 << 20)
        for second in 0..<10 { log.feed(newlines, at: Double(second)) }
        log.feed(String(repeating: "x", count: 2 << 20), at: 10)
        XCTAssertLessThan(ProcessCPUTime.seconds() - started, 5, "linear in what arrives (CPU seconds)")
        XCTAssertTrue(log.flooded)
        XCTAssertEqual(log.lines.count, limits.keptLines)
        XCTAssertEqual(log.lineCount, 10 << 20)
        XCTAssertLessThanOrEqual(log.partial.unicodeScalars.count, limits.lineScalars)
        XCTAssertTrue(log.text.contains("later lines not kept"))

        // Short lines that each get scanned: 2 MiB of them, in a debug build.
        var words = ConsoleLog(limits: limits)
        let lines = ProcessCPUTime.seconds()
        let chunk = String(repeating: "[ 1.0] ok\n", count: 1 << 16)
        for second in 0..<3 { words.feed(chunk, at: Double(second)) }
        XCTAssertLessThan(ProcessCPUTime.seconds() - lines, 15, "linear in what arrives (CPU seconds)")
        XCTAssertEqual(words.lineCount, 3 << 16)
    }

    /// The watch ends a flooding boot on time with BOOT-CONSOLE failed, and
    /// a guest that fills its overlay at the limit. Bound: 10 s each.
    func testTheWatchEndsAFloodAndAGrowingOverlay() async throws {
        let instance = InstanceMetadata(hostname: "ig-flood", mac: "52:54:00:12:34:56", ip: "10.77.0.20", prefix: 24,
                                        gateway: "10.77.0.1", dns: [])
        var plan = BootPlan(image: ImageFile(path: dir + "/x.qcow2", format: "qcow2", virtualSize: 1 << 30), instance: instance,
                            accelerator: .tcg, sshPort: 1, directory: dir, name: "imagegate-test-flood")
        plan.limits.consoleBytes = 4 << 20
        plan.factChannels = [.serial]
        try Data(repeating: UInt8(ascii: "\n"), count: 40 << 20).write(to: URL(fileURLWithPath: plan.consoleLog))
        let started = ContinuousClock.now
        let flood = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 10)
        guard case .consoleFlood = flood.end else { return XCTFail("\(flood.end)") }
        let console = BootRules.evaluate(flood).first { $0.rule == "BOOT-CONSOLE" }
        XCTAssertEqual(console?.outcome, .fail)
        XCTAssertTrue(console?.found.contains("ttyS0 flooded") ?? false, "\(String(describing: console))")

        try Data("booting\n".utf8).write(to: URL(fileURLWithPath: plan.consoleLog))
        plan.limits.overlayBytes = 1 << 20
        try Data(repeating: 0xAB, count: 3 << 20).write(to: URL(fileURLWithPath: plan.overlay))
        let growing = try await ConsoleWatcher(plan: plan, vm: RunningVM(), progress: { _ in }).watch()
        guard case .overlayLimit = growing.end else { return XCTFail("\(growing.end)") }
        XCTAssertTrue("\(growing.end)".contains("above the limit of 1 MiB"), "\(growing.end)")
    }

    /// A real boot of a guest (a boot sector) that writes 49,152 bytes to
    /// ttyS0 with no newline and powers off (ACPI S5 through the PIIX4
    /// PM port the firmware sets up): BOOT-CONSOLE fails, and its evidence
    /// is that one line of the guest's, all of it read however late its
    /// last bytes reached the console log, its true length shown and its
    /// end kept — nothing of ImageGate's own. Bound: the 30 s deadline.
    func testALongLineWithoutANewlineIsTheGuestsOwnEvidence() throws {
        // mov dx,0x3f8; mov cx,0xc000; mov al,'A'; out dx,al; loop;
        // mov dx,0x604; mov ax,0x2000; out dx,ax (SLP_EN, S5); cli; hlt; jmp $-2
        let code: [UInt8] = [0xBA, 0xF8, 0x03, 0xB9, 0x00, 0xC0, 0xB0, 0x41, 0xEE, 0xE2, 0xFB,
                             0xBA, 0x04, 0x06, 0xB8, 0x00, 0x20, 0xEF, 0xFA, 0xF4, 0xEB, 0xFD]
        var sector = code + [UInt8](repeating: 0, count: 510 - code.count)
        sector += [0x55, 0xAA]
        try Data(sector).write(to: URL(fileURLWithPath: dir + "/longline.raw"))
        try sh("truncate", "-s", "16M", dir + "/longline.raw")
        let run = try imagegate(["boot", "longline.raw", "--timeout", "30", "--post-mortem", "never", "--json", "report.json"])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any]
        let findings = report?["findings"] as? [[String: Any]] ?? []
        let console = try XCTUnwrap(findings.first { $0["rule"] as? String == "BOOT-CONSOLE" }, "\(report ?? [:])")
        XCTAssertEqual(console["outcome"] as? String, "fail")
        let evidence = (console["evidence"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        // Its last lines, the long one last: longer than a kept line, its
        // true length shown and its end kept. (SeaBIOS's serial console,
        // the firmware's own output, may break the guest's bytes into
        // several lines.)
        let last = try XCTUnwrap(evidence.last)
        let length = try XCTUnwrap(last.firstMatch(of: /a line of (\d+) characters/).flatMap { Int($0.1) }, last)
        XCTAssertGreaterThan(length, 4096, last)
        XCTAssertTrue(last.hasSuffix("AAAA"), "the line's end kept: \(evidence)")
        XCTAssertFalse(evidence.joined().contains("IMAGEGATE"), "ImageGate's own lines are no evidence")
        let instance = (report?["instances"] as? [[String: Any]])?.first
        XCTAssertEqual(instance?["end"] as? String, "the VM stopped by itself", "the guest powered off, no deadline waited for")
    }

    // MARK: 8. SSH

    /// Nothing of the reviewer's SSH setup is used, and a server that
    /// accepts and then says nothing costs the probe its deadline, no more,
    /// and leaves no ssh running. Bound: 15 s.
    func testTheSSHProbeIsIsolatedAndBounded() async throws {
        let listener = try LoopbackListener()
        let instance = InstanceMetadata(hostname: "ig-ssh", mac: "52:54:00:12:34:56", ip: "10.77.0.20", prefix: 24,
                                        gateway: "10.77.0.1", dns: [])
        let plan = BootPlan(image: ImageFile(path: dir + "/x.qcow2", format: "qcow2", virtualSize: 1 << 30), instance: instance,
                            accelerator: .tcg, sshPort: listener.port, directory: dir, name: "imagegate-test-ssh")
        try sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", plan.sshKey)
        let probe = SSHProbe(plan: plan)
        for option in ["-F", "IdentitiesOnly=yes", "IdentityAgent=none", "ClearAllForwardings=yes", "UserKnownHostsFile=\(dir)/known_hosts"] {
            XCTAssertTrue(probe.arguments.contains(option), option)
        }
        XCTAssertEqual(probe.arguments[probe.arguments.firstIndex(of: "-F")! + 1], "/dev/null")
        let started = ContinuousClock.now
        do {
            _ = try await probe.facts(within: 4)
            XCTFail("a silent server gave facts")
        } catch {
            XCTAssertTrue("\(error)".contains("gave no facts"), "\(error)")
        }
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 15)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(processes(containing: "-p\u{0}\(listener.port)\u{0}").isEmpty, "no ssh left running")
        listener.close()
    }

    // MARK: 10. Sizes

    /// A 4 TiB virtual size (a few KiB of qcow2) is refused; so is a
    /// scenario's 2 TiB data disk, before anything starts. Bound: 10 s.
    func testHugeVirtualAndDataDiskSizesAreRefused() async throws {
        try sh("qemu-img", "create", "-q", "-f", "qcow2", dir + "/huge.qcow2", "4T")
        let run = try imagegate(["inspect", "huge.qcow2"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("virtual size 4096 GiB is above the limit of 2048 GiB"), run.stderr)
        XCTAssertLessThan(run.seconds, 10)

        var scenario = Scenario.builtIn
        scenario.dataDiskGiB = [2048]
        let runner = CheckRunner(host: NoHost(), scenario: scenario, profile: .default)
        do {
            _ = try await runner.run(dir + "/huge.qcow2")
            XCTFail("a 2 TiB data disk was accepted")
        } catch {
            XCTAssertTrue((error as? ImageGateError)?.isBadInput == true && "\(error)".contains("data disk of 2048 GiB is above the limit"), "\(error)")
        }
    }

    // MARK: 11. Leftovers

    /// A run folder whose owner's ID is alive but whose start time is
    /// another's is an orphan (PID reuse); this process's own is kept.
    func testTheReaperIsNotFooledByPIDReuse() throws {
        let state = StateDirectory(path: dir + "/state")
        let mine = try state.makeRunDirectory(prefix: "boot")
        let me = ProcessIdentity.current
        let reused = state.runs + "/boot-\(me.pid).\((me.startTime ?? 0) + 1)-deadbeef"
        try FileManager.default.createDirectory(atPath: reused, withIntermediateDirectories: true)
        let reaped = LeftoverReaper(state: state).reapProcessesAndFolders()
        XCTAssertEqual(reaped, ["run folder " + (reused as NSString).lastPathComponent])
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine))
        XCTAssertFalse(FileManager.default.fileExists(atPath: reused))
    }

    /// `imagegate boot` killed with SIGKILL mid-boot leaves its QEMU
    /// running; another state folder's reaper does not count it as its
    /// own, and the next start of its own state folder, of any command
    /// (`inspect` here), ends it and removes its run folder. (That a
    /// listing ends nothing: ``KeptFolderTests``.)
    /// The test's state folders are its own: an ImageGate started by anyone
    /// else in the default folder would rightly reap the killed run first.
    /// Bound: 60 s.
    func testAKilledBootsQEMUIsEndedByTheNextStartOfItsOwnStateFolderOnly() async throws {
        // A guest that says one line and halts: the boot runs on to its deadline.
        try BootSector.disk(printing: "waiting\r\n", at: dir + "/halts.raw")
        try sh("qemu-img", "create", "-q", "-f", "qcow2", dir + "/blank.qcow2", "64M")
        // Short: QEMU's monitor socket lies under the state folder.
        let base = NSTemporaryDirectory() + "igk-" + UUID().uuidString.prefix(6)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let own = ["IMAGEGATE_STATE_DIR": base + "/state"], state = StateDirectory(path: base + "/state")
        let boot = Process()
        boot.executableURL = URL(fileURLWithPath: binary)
        boot.arguments = ["boot", dir + "/halts.raw", "--timeout", "600"]
        boot.environment = ProcessInfo.processInfo.environment.merging(own) { $1 }
        boot.standardOutput = FileHandle.nullDevice
        boot.standardError = FileHandle.nullDevice
        try boot.run()
        let owner = boot.processIdentifier
        var qemu: pid_t?
        for _ in 0..<300 where qemu == nil {
            try await Task.sleep(for: .milliseconds(200))
            qemu = LeftoverReaper.imageGateQEMUs(of: state).first { VMName.owner(of: $0.1)?.pid == owner }?.0
        }
        let pid = try XCTUnwrap(qemu, "the boot started a QEMU")
        // Mid-boot: the guest has written its line (QEMU is past its start-up).
        var written = false
        for _ in 0..<300 where !written {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
            written = runs.contains { name in
                StateDirectory.owner(ofRun: name)?.pid == owner
                    && (FileManager.default.contents(atPath: state.runs + "/" + name + "/console.log").map { String(decoding: $0, as: UTF8.self).contains("waiting") } ?? false)
            }
            if !written { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(written, "the guest wrote to its console")
        kill(owner, SIGKILL)
        boot.waitUntilExit()
        XCTAssertEqual(kill(pid, 0), 0, "the killed run's QEMU is still running")

        // Another state folder's reaper does not count it among its own; this folder's does.
        XCTAssertFalse(LeftoverReaper.imageGateQEMUs(of: StateDirectory(path: base + "/other")).contains { $0.0 == pid },
                       "another state folder's reaper would end this folder's QEMU")
        XCTAssertTrue(LeftoverReaper.imageGateQEMUs(of: state).contains { $0.0 == pid })

        let run = try imagegate(["inspect", "blank.qcow2", "--rules", "IMG-OS"], environment: own)
        XCTAssertEqual(run.status, 1, run.stderr)
        var alive = true
        for _ in 0..<50 where alive {
            alive = ProcessStat(pid: pid).map { $0.state != "Z" } ?? false
            if alive { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertFalse(alive, "the next start ended the killed run's QEMU")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
        XCTAssertEqual(runs.filter { StateDirectory.owner(ofRun: $0)?.pid == owner }, [], "the killed run's folders were removed")
    }
}

extension HostileInputTests {
    /// Starts the CLI with `arguments`; returns the process, already running.
    private func startImagegate(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The libguestfs appliance (a QEMU child of `owner`), once it started
    /// (20 s at most).
    private func appliance(of owner: pid_t) async throws -> pid_t {
        for _ in 0..<200 {
            // Not a VM the run boots beside it (a QEMU with ImageGate's name).
            let vms = Set(LeftoverReaper.imageGateQEMUs(of: .default).map(\.0))
            let found = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(pid_t.init).first {
                !vms.contains($0) && (ProcessStat(pid: $0).map { $0.parent == owner && $0.command.hasPrefix("qemu-system") } ?? false)
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTFail("the appliance of \(owner) did not start")
        throw XCTSkip("no appliance")
    }

    /// Waits up to `seconds` for `process` to exit; its status, and how long.
    private func waitForExit(_ process: Process, within seconds: Double) async throws -> (Int32?, Double) {
        let started = ContinuousClock.now
        while process.isRunning, (ContinuousClock.now - started).seconds < seconds {
            try await Task.sleep(for: .milliseconds(50))
        }
        return (process.isRunning ? nil : process.terminationStatus, (ContinuousClock.now - started).seconds)
    }

    /// SIGTERM while `check` is still in its static phase, with the first
    /// instance of a two-instance scenario booting beside it (where the
    /// host admits one): exit 130, every VM of the run destroyed, and no VM
    /// started after the signal — the second instance, which waits for the
    /// static phase, never boots. Bound: 60 s (the appliance launch in
    /// flight finishes first).
    func testSIGTERMDuringTheStaticPhaseStartsNoFurtherVM() async throws {
        let check = try startImagegate(["check", FixtureManifest.packageRoot + "/Fixtures/cache/debian12-conformant.qcow2",
                                        "--scenario", FixtureManifest.packageRoot + "/Scenarios/reinstance.yaml"])
        let owner = check.processIdentifier
        let runVMs = { Set(LeftoverReaper.imageGateQEMUs(of: .default).filter { VMName.owner(of: $0.1)?.pid == owner }.map(\.1)) }
        // Once the static phase runs (its appliance, a child QEMU, started)
        // and the boot the host admits beside it has its VM.
        let appliance = try await appliance(of: owner)
        let reinstance = try Scenario.load(pathOrName: FixtureManifest.packageRoot + "/Scenarios/reinstance.yaml")
        if BootAdmission.jobs(memoryMiBPerBoot: reinstance.hardware.memoryMiB, cpusPerBoot: reinstance.hardware.cpus, besideAnAppliance: true) > 0 {
            let started = ContinuousClock.now
            while runVMs().isEmpty, check.isRunning, (ContinuousClock.now - started).seconds < 30 {
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertFalse(runVMs().isEmpty, "an instance boots beside the static phase")
        }
        let atSignal = runVMs()
        XCTAssertTrue(ProcessStat(pid: appliance).map { $0.state != "Z" } ?? false, "the static phase still ran at the signal")
        kill(owner, SIGTERM)
        var startedAfter: Set<String> = []
        let signalled = ContinuousClock.now
        while check.isRunning, (ContinuousClock.now - signalled).seconds < 60 {
            startedAfter.formUnion(runVMs().subtracting(atSignal))
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertFalse(check.isRunning, "check ended after SIGTERM")
        if check.isRunning { kill(owner, SIGKILL) }
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 130)
        XCTAssertEqual(startedAfter, [], "a VM was started after SIGTERM")
        XCTAssertEqual(runVMs(), [], "the boot beside the static phase was destroyed")
        XCTAssertFalse(ProcessStat(pid: appliance).map { $0.state != "Z" } ?? false, "the appliance ended")
    }

    /// A second Ctrl-C exits at once, with the appliance killed and the
    /// run's scratch folder removed. Bound: 5 s after the second signal.
    func testASecondSIGINTExitsAtOnceAndLeavesNothing() async throws {
        let inspect = try startImagegate(["inspect", FixtureManifest.packageRoot + "/Fixtures/cache/debian12-conformant.qcow2"])
        let owner = inspect.processIdentifier
        // Once the appliance runs (a child QEMU), interrupt twice.
        let qemu = try await appliance(of: owner)
        kill(owner, SIGINT)
        try await Task.sleep(for: .milliseconds(200))
        kill(owner, SIGINT)
        let (status, seconds) = try await waitForExit(inspect, within: 5)
        XCTAssertEqual(status, 130)
        XCTAssertLessThan(seconds, 5)
        if status == nil { kill(owner, SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertFalse(ProcessStat(pid: qemu).map { $0.state != "Z" } ?? false, "the appliance was killed")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: StateDirectory.default.runs)) ?? []
        XCTAssertEqual(runs.filter { StateDirectory.owner(ofRun: $0)?.pid == owner }, [], "the run's folders were removed")
    }
}

/// `makedev`, which Glibc's module map does not carry (a macro).
private func deviceNumber(_ major: UInt64, _ minor: UInt64) -> dev_t {
    dev_t((major & 0xfff) << 8 | (minor & 0xff) | (minor & ~0xff) << 12 | (major & ~0xfff) << 32)
}

/// A state folder whose path would make QEMU's monitor socket path too long
/// for a UNIX socket is refused with one line, before libvirt fails.
final class StateFolderLengthTests: XCTestCase {
    func testAStateFolderTooLongForQEMUsMonitorSocketIsRefused() throws {
        let long = "/tmp/" + String(repeating: "s", count: 60) + "/libvirt"
        XCTAssertThrowsError(try EmbeddedRoot.claim(in: long)) { error in
            XCTAssertTrue((error as? ImageGateError)?.isBadInput == true, "\(error)")
            XCTAssertTrue("\(error)".contains("too long for QEMU's monitor socket"), "\(error)")
        }
        XCTAssertGreaterThanOrEqual(EmbeddedRoot.longestRoot, (StateDirectory.default.libvirtRoot + "/31").utf8.count, "the default state folder fits")
    }
}

/// A host nothing may be started on: the check must refuse before.
private struct NoHost: VirtualMachineHost {
    var uri: String { "test:///none" }
    func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance { throw ImageGateError.infrastructure("no host") }
    func instances(prefix: String) async throws -> [any VirtualMachineInstance] { [] }
    func offersKVM() async throws -> Bool { false }
}

/// A TCP listener on 127.0.0.1 that accepts and never answers.
private final class LoopbackListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}

/// The command lines (arguments joined by spaces) of the processes that
/// name `text` in one.
private func commandLines(containing text: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> String? in
        guard Int32(entry) != nil, let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let line = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        return line.contains(text) ? line : nil
    }
}

/// The libguestfs socket folders (`/tmp/libguestfsXXXXXX`) a command line names.
private func libguestfsFolders(named line: String) -> [String] {
    line.components(separatedBy: "/tmp/libguestfs").dropFirst().map { "/tmp/libguestfs" + $0.prefix { $0 != "/" && $0 != " " && $0 != "," } }
}

@testable import ImageGate
@testable import ImageGateBoot
import XCTest

/// Each way a first boot dies, on consoles as GRUB, the kernel,
/// initramfs-tools, dracut, systemd and cloud-init print them: the class,
/// the BOOT rule it breaks, fatal or evidence; prompts caught before their
/// newline; no class on a healthy boot.
final class FailureClassTests: XCTestCase {
    /// (console lines, the class of the first hit, its rule, whether the
    /// console ends the boot).
    static let recorded: [(lines: [String], failure: String, rule: String, fatal: Bool)] = [
        (["SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting from Hard Disk...", "Boot failed: not a bootable disk", "", "No bootable device."],
         "nothing-bootable", "BOOT-CONSOLE", true),
        (["GRUB loading.", "Welcome to GRUB!", "error: no such device: 0c2b6f1e-2d5c-4d8e-9a1b-7e3f00c0ffee.", "Entering rescue mode...", "grub rescue> "],
         "grub-error", "", true),
        (["[    2.101] VFS: Cannot open root device \"UUID=0c2b6f1e\" or unknown-block(0,0): error -6",
          "[    2.102] Please append a correct \"root=\" boot option; here are the available partitions:",
          "[    2.103] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"], "root-not-found", "BOOT-NO-PANIC", true),
        (["Begin: Waiting for root file system ... done.", "Gave up waiting for root file system device.  Common problems:",
          "ALERT!  UUID=0c2b6f1e does not exist.  Dropping to a shell!", "(initramfs) "], "root-not-found", "BOOT-NO-PANIC", true),
        (["[  OK  ] Reached target Basic System.", "dracut-initqueue[312]: Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks:",
          "dracut-initqueue[312]: Warning: /dev/disk/by-uuid/0c2b6f1e does not exist", "dracut-initqueue[312]: Warning: Could not boot."],
         "root-not-found", "BOOT-NO-PANIC", true),
        (["[    2.5] Run /sbin/nosuch as init process", "[    2.5] Kernel panic - not syncing: Requested init /sbin/nosuch failed (error -2)."],
         "no-init", "BOOT-NO-PANIC", true),
        (["[    2.4] Failed to execute /init (error -2)", "[    2.4] Run /sbin/init as init process"], "init-not-run", "", false),
        (["[    3.0] Kernel panic - not syncing: No working init found.  Try passing init= option to kernel."], "no-init", "BOOT-NO-PANIC", true),
        (["[   61.2] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [swapper/0:1]"], "cpu-stall", "", false),
        (["[   80.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"], "cpu-stall", "", false),
        (["[  242.0] INFO: task systemd-udevd:211 blocked for more than 120 seconds."], "cpu-stall", "", false),
        (["[   40.1] cloud-init invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
          "[   40.2] Out of memory: Killed process 812 (vendor-agent) total-vm:4096000kB"], "out-of-memory", "", false),
        (["[    5.0] systemd[1]: vendor.service: Found ordering cycle on multi-user.target/start",
          "[    5.0] systemd[1]: vendor.service: Job vendor.service/start deleted to break ordering cycle starting with multi-user.target/start"],
         "ordering-cycle", "", false),
        (["[    4.0] systemd[1]: /usr/lib/systemd/system-generators/systemd-fstab-generator failed with exit status 1."], "generator-failed", "", false),
        (["[  *** ] A start job is running for /dev/vdc (1min 2s / no limit)"], "unit-failed", "", false),
        (["[FAILED] Failed to mount data.mount - /data."], "unit-failed", "", false),
        (["Cannot open access to console, the root account is locked.", "See sulogin(8) man page for more details.", "Press Enter to continue."],
         "emergency-shell", "BOOT-NO-PANIC", true),
        (["Give root password for maintenance", "(or press Control-D to continue): "], "emergency-shell", "BOOT-NO-PANIC", true),
        (["BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) built-in shell (ash)", "Enter 'help' for a list of built-in commands.", ""],
         "emergency-shell", "BOOT-NO-PANIC", true),
        (["[   30.0] cloud-init[612]: 2026-12-02 10:00:00,000 - util.py[WARNING]: Running module bootcmd (<module 'cloudinit.config.cc_bootcmd'>) failed"],
         "cloud-init-failure", "BOOT-CLOUD-INIT", false),
        (["[    9.9] Kernel panic - not syncing: Fatal exception in interrupt"], "kernel-panic", "BOOT-NO-PANIC", true),
    ]

    func testEachRecordedConsoleNamesItsClassAndRule() {
        for (lines, failure, rule, fatal) in Self.recorded {
            var log = ConsoleLog()
            log.feed(lines.joined(separator: "\r\n") + (lines.last == "" ? "" : "\r\n"), at: 1)
            let hit = log.hits.first
            XCTAssertEqual(hit?.pattern.failureClass, failure, "\(lines)")
            XCTAssertEqual(hit?.pattern.rule, rule, "\(failure)")
            XCTAssertEqual(log.fatal != nil, fatal, "\(failure): \(log.hits)")
            XCTAssertNotNil(FailureClass.named(failure), failure)
        }
    }

    /// A prompt waits for input with no newline: it is a hit as soon as it
    /// is on the console, once, and a fatal one ends the watch there.
    func testAPromptWithoutANewlineIsCaughtOnce() {
        for prompt in ["grub rescue> ", "(initramfs) ", "Give root password for maintenance\r\n(or press Control-D to continue): "] {
            var log = ConsoleLog()
            log.feed("booting\r\n" + prompt, at: 1)
            XCTAssertNotNil(log.fatal, "\(prompt) was not caught before its newline")
            log.feed("help\r\n", at: 2)
            XCTAssertEqual(log.hits.filter(\.pattern.fatal).count, 1, "\(prompt) counted twice: \(log.hits)")
        }
    }

    func testTheGRUBShellOutranksItsErrors() {
        var log = ConsoleLog()
        log.feed("error: file '/boot/grub/i386-pc/normal.mod' not found.\r\nEntering rescue mode...\r\ngrub rescue> ", at: 1)
        XCTAssertEqual(log.hits.map { $0.pattern.failureClass ?? "" }, ["grub-error", "grub-shell", "grub-shell"])
        XCTAssertEqual(log.fatal?.pattern.failureClass, "grub-shell")
    }

    func testWildcardsMatchInOrderAndKeepWordBounds() {
        let pattern = Badness(text: "ALERT! * does not exist", meaning: "", fatal: true)
        XCTAssertTrue(pattern.matches("ALERT!  /dev/disk/by-uuid/x does not exist.  Dropping to a shell!"))
        XCTAssertFalse(pattern.matches("does not exist ALERT! later"))
        XCTAssertFalse(Badness(text: "Job * deleted", meaning: "", fatal: false).matches("Jobs x deleted"))
        XCTAssertTrue(Badness(text: "error: file '*' not found", meaning: "", fatal: false).matches("error: file '/a' not found."))
    }

    /// A boot that ends at the kernel stage's deadline, silent after the
    /// boot loader, is named by its end and quoted by its last lines; a
    /// boot that a line already ended keeps that class alone.
    func testASilentBootAfterTheBootLoaderIsNamedByItsEnd() throws {
        var log = ConsoleLog()
        log.feed("SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from Hard Disk...\r\n", at: 0.4)
        log.feed("Loading Linux 6.1.0-13-cloud-amd64 ...\r\n", at: 1.5)
        let named = BootFailure.named(in: log, end: .deadline(.kernel, seconds: 200))
        let stalled = try XCTUnwrap(named.first)
        XCTAssertEqual(stalled.failureClass, "stalled-before-kernel")
        XCTAssertTrue(stalled.endedTheBoot)
        XCTAssertEqual(stalled.rule, "BOOT-CONSOLE")
        XCTAssertEqual(stalled.lines.map(\.text), ["Booting from Hard Disk...", "Loading Linux 6.1.0-13-cloud-amd64 ..."])
        XCTAssertEqual(stalled.lines.map(\.line), [2, 3])
        XCTAssertEqual(stalled.lines.last?.seconds, 1.5)
        XCTAssertTrue(stalled.text(.chinese).first?.contains("启动在内核之前停止") == true)

        XCTAssertEqual(BootFailure.named(in: log, end: .overallTimeout(seconds: 1000)), [], "not every deadline is a stall before the kernel")
        var rescued = ConsoleLog()
        rescued.feed("Booting from Hard Disk...\r\ngrub rescue> ", at: 1)
        XCTAssertEqual(BootFailure.named(in: rescued, end: .deadline(.kernel, seconds: 200)).map(\.failureClass), ["grub-shell"],
                       "a prompt already named the failure")
    }

    func testAHealthyBootHasNoClass() {
        var log = ConsoleLog()
        log.feed(ConsoleLogTests.healthy.joined(), at: 1)
        XCTAssertEqual(log.hits, [], "a class on a healthy console")
    }

    func testEveryClassHasBothLanguagesAndARuleOrIsEvidence() {
        XCTAssertEqual(Set(FailureClass.all.map(\.id)).count, FailureClass.all.count)
        XCTAssertEqual(Set(FailureClass.precedence.map(\.id)), Set(FailureClass.all.map(\.id)), "every class has its place")
        for failure in FailureClass.all {
            for text in [failure.english, failure.chinese] {
                XCTAssertFalse(text.meaning.isEmpty || text.causes.isEmpty || text.fix.isEmpty, failure.id)
            }
            let rules = BootRules.all.filter { $0.failureClasses.contains(failure) }
            XCTAssertEqual(rules.count + (FailureClass.evidenceOnly.contains(failure) ? 1 : 0), 1, "\(failure.id): one rule, or evidence")
        }
    }
}

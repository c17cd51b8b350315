import Foundation
import TestSupport
import XCTest

/// Failure classes on real boots of tiny guests (a boot sector that prints
/// what a dying boot prints): a prompt with no newline ends the boot at
/// once as its class, and the report names the class first, with its
/// likely causes and fix.
final class BootFailureClassTests: XCTestCase {
    var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "boot-class-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// `imagegate boot` of a boot sector printing `message`: the command's
    /// output and the report's one instance. Run as a user would, with no
    /// `LIBVIRT_LOG_OUTPUTS` (make sets it): none of libvirt's own log lines
    /// (its version, the security driver, the domain's taint) reaches the
    /// terminal.
    func boot(printing message: String, timeout: Int) throws -> (run: Shell.Result, instance: [String: Any]) {
        try BootSector.disk(printing: message, at: dir + "/disk.raw")
        let run = try Shell.run("env", ["-u", "LIBVIRT_LOG_OUTPUTS", "-u", "IMAGEGATE_TRACE", PackageRoot.imagegate,
                                        "boot", dir + "/disk.raw", "--timeout", String(timeout), "--post-mortem", "never",
                                        "--json", dir + "/report.json"])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        for libvirtLine in [" info : ", " warning : ", " error : ", "tainted", "security driver"] {
            XCTAssertFalse(run.stderr.contains(libvirtLine), "libvirt's log on stderr: \(run.stderr)")
        }
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any])
        return (run, try XCTUnwrap((report["instances"] as? [[String: Any]])?.first, "\(report)"))
    }

    func testAGRUBRescuePromptEndsTheBootAsTheGRUBShellClass() throws {
        let (run, instance) = try boot(printing: "error: unknown filesystem.\r\nEntering rescue mode...\r\ngrub rescue> ", timeout: 120)
        let failures = instance["failures"] as? [[String: Any]] ?? []
        XCTAssertEqual(failures.map { $0["failureClass"] as? String ?? "" }, ["grub-shell", "grub-error"])
        XCTAssertEqual(failures.first?["endedTheBoot"] as? Bool, true)
        // Ended by the prompt, seconds after the VM started: not by a deadline.
        XCTAssertTrue((instance["end"] as? String ?? "").contains("GRUB stopped at its shell"), "\(instance["end"] ?? "")")
        XCTAssertLessThan(instance["endedAt"] as? Double ?? 999, 15)
        let findings = instance["findings"] as? [[String: Any]] ?? []
        XCTAssertEqual(findings.first { $0["rule"] as? String == "BOOT-NO-PANIC" }?["outcome"] as? String, "fail")
        // The text report names the class before anything else of the diagnosis.
        let named = try XCTUnwrap(run.stdout.range(of: "How the boot failed"), run.stdout)
        XCTAssertTrue(run.stdout[named.upperBound...].contains("grub-shell: GRUB stopped at its shell (ended the boot, BOOT-NO-PANIC)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Likely causes: GRUB cannot find its own files"), run.stdout)
    }

    /// A boot sector that prints nothing and halts: the firmware's last
    /// line, then silence. The hypervisor says no kernel runs (paging off),
    /// so the boot ends once ttyS0 has been silent for the boot-loader
    /// window, long before the kernel stage's deadline, named as a stall
    /// before the kernel with the line it stopped after.
    func testASilentBootAfterTheFirmwareIsNamedAsAStallBeforeTheKernel() throws {
        let (run, instance) = try boot(printing: "", timeout: 600)
        let failures = instance["failures"] as? [[String: Any]] ?? []
        XCTAssertEqual(failures.first?["failureClass"] as? String, "stalled-before-kernel", "\(failures)")
        XCTAssertEqual(failures.first?["endedTheBoot"] as? Bool, true)
        let lines = (failures.first?["lines"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        XCTAssertTrue(lines.last?.contains("Booting from Hard Disk") == true, "\(lines)")
        let end = instance["end"] as? String ?? ""
        XCTAssertTrue(end.contains("no kernel runs (paging is off, CR0="), end)
        // Ended by what the hypervisor saw: the silence window (30 s at KVM's
        // pace, 12 s times the TCG multiplier, stretched by load), well
        // before the kernel deadline (40 s at KVM's pace, 200 s under TCG).
        XCTAssertLessThan(instance["endedAt"] as? Double ?? 999, 150, "\(instance["endedAt"] ?? "")")
        let findings = instance["findings"] as? [[String: Any]] ?? []
        XCTAssertEqual(findings.first { $0["rule"] as? String == "BOOT-CONSOLE" }?["outcome"] as? String, "fail")
        XCTAssertTrue(run.stdout.contains("stalled-before-kernel: the boot stopped before the kernel"), run.stdout)
    }

    /// A boot sector with no operating system prints a facts block and a
    /// login prompt: nothing of it is the probe's, so no BOOT rule passes
    /// and BOOT-CONSOLE names the forgery.
    func testABootSectorPrintingFactsAndALoginPromptPassesNoBootRule() throws {
        let json = #"{"hostname":"mkt-vm-0001","auditd":"active","firewalld":"inactive","cloudInitStatus":{"status":"done","errors":[]}}"#
        let message = "\r\nIMAGEGATE-FACTS-BEGIN \(Data(json.utf8).base64EncodedString()) IMAGEGATE-FACTS-END\r\n"
            + "Cloud-init v. 22.4.2 finished at Fri, 27 Nov 2026 05:25:52 +0000. Datasource DataSourceNoCloud.  Up 9.00 seconds\r\nmkt-vm-0001 login: "
        let (_, instance) = try boot(printing: message, timeout: 20)
        let findings = instance["findings"] as? [[String: Any]] ?? []
        let console = try XCTUnwrap(findings.first { $0["rule"] as? String == "BOOT-CONSOLE" })
        XCTAssertEqual(console["outcome"] as? String, "fail")
        XCTAssertTrue((console["found"] as? String ?? "").contains("printed ImageGate's facts markers itself"), "\(console)")
        let passed = findings.filter { $0["outcome"] as? String == "pass" }.compactMap { $0["rule"] as? String }
        XCTAssertEqual(passed, [], "rules passed on a boot sector's text")
    }
}

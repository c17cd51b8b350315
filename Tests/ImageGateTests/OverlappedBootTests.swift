import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import TestSupport
import XCTest

/// `imagegate check` boots the first instance while the static phase runs.
final class OverlappedBootTests: XCTestCase {
    /// A disk with no operating system, under the default scenario (two
    /// vCPUs): its boot starts beside the static phase (where the memory
    /// admits it), and once IMG-OS fails it is destroyed. The report is the one
    /// the phases in sequence gave (no instance, every BOOT rule not
    /// checked, the reason stated), and even with `--keep` nothing of that
    /// boot is left: no QEMU, no run folder, no kept run, no console log
    /// among the artifacts. Bound: the static phase (an appliance launch).
    func testAnImageTheStaticPhaseFindsUnbootableHasItsBootStoppedAndLeavesNothing() async throws {
        // Short: QEMU's monitor socket lies under the state folder.
        let base = NSTemporaryDirectory() + "igo-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: base + "/tree/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try "a data disk\n".write(toFile: base + "/tree/etc/motd", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Shell.run("truncate", ["-s", "64M", base + "/disk.raw"]).status, 0)
        XCTAssertEqual(try Shell.run("mkfs.ext4", ["-q", "-F", "-d", base + "/tree", base + "/disk.raw"]).status, 0)
        XCTAssertEqual(try Shell.run("qemu-img", ["convert", "-O", "qcow2", base + "/disk.raw", base + "/disk.qcow2"]).status, 0)
        let state = StateDirectory(path: base + "/state")
        let beside = BootAdmission.jobs(memoryMiBPerBoot: 1024, cpusPerBoot: 2, besideAnAppliance: true)

        let check = Process()
        check.executableURL = URL(fileURLWithPath: PackageRoot.imagegate)
        check.arguments = ["check", base + "/disk.qcow2", "--keep", "--artifacts", base + "/artifacts", "--lang", "en", "--json", base + "/report.json"]
        check.environment = ProcessInfo.processInfo.environment.merging(["IMAGEGATE_STATE_DIR": state.path]) { $1 }
        let stderr = Pipe()
        check.standardOutput = FileHandle.nullDevice
        check.standardError = stderr
        try check.run()
        // The boot's QEMU runs while the static phase does.
        var sawBoot = false
        while check.isRunning {
            if !sawBoot { sawBoot = LeftoverReaper.imageGateQEMUs(of: state).contains { $0.1.hasPrefix(VMName.prefix + "boot-") } }
            try await Task.sleep(for: .milliseconds(200))
        }
        let progress = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(check.terminationStatus, 1, progress)
        XCTAssertEqual(sawBoot, beside > 0, "the instance booted beside the static phase where \(beside) fit: \(progress)")

        let report = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: base + "/report.json")))
        XCTAssertEqual(report.findings.first { $0.rule == "IMG-OS" }?.outcome, .fail)
        XCTAssertTrue(report.bootPhase?.hasPrefix("not booted: IMG-OS fail") ?? false, "\(String(describing: report.bootPhase))")
        XCTAssertEqual(report.instances.count, 0, "no BOOT findings from the stopped boot")
        // What the scenario does not ask for (service ports, a second instance) stays not applicable.
        let boot = report.findings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome != .notApplicable }
        XCTAssertGreaterThanOrEqual(boot.count, 8, "\(report.findings.map(\.rule))")
        for finding in boot {
            XCTAssertEqual(finding.outcome, .couldNotCheck, "\(finding.rule): \(finding.found)")
            XCTAssertTrue(finding.found.contains("not booted: IMG-OS fail"), "\(finding.rule): \(finding.found)")
        }

        XCTAssertEqual(LeftoverReaper.imageGateQEMUs(of: state).map(\.1), [], "no QEMU")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? [], [], "no run folder, kept or not")
        XCTAssertEqual(KeptRun.all(state: state).map(\.id), [])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: base + "/artifacts")) ?? [], [], "no console log of the stopped boot")
    }
}

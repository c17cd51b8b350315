@testable import ImageGateQueue
import XCTest

/// A failure's signature is the same on two boots of one defect, however
/// their instances differed, and differs when the failure does.
final class FailureSignatureTests: XCTestCase {
    func network(_ host: String, _ ip: String, _ mac: String, line: Int, at time: String, pid: Int) -> FailureSignature {
        FailureSignature(rule: "BOOT-NETWORK", evidence: [
            "ttyS0:\(line): [ \(time)] cloud-init[\(pid)]: ci-info: | eth0 | True | \(ip) | 255.255.255.0 | global | \(mac) |",
            "/var/log/cloud-init.log:\(line + 7): 2026-12-0\(line % 9 + 1) 02:1\(pid % 10):33,120 - \(host) network config is disabled by pid \(pid)",
            "/etc/systemd/network/10-build-eth0.network:3: MACAddress=\(mac) (up 10\(pid % 7).5 seconds, at 0xffffffff8\(pid)a0, ::ffff:\(ip), fe80::5054:ff:fe\(pid % 90):1)",
        ], found: "eth0 has no address", hostnames: [host])
    }

    func testTwoBootsOfOneDefectHaveOneSignature() {
        let tonight = network("mkt-vm-0001", "10.77.0.20", "52:54:00:3a:10:01", line: 412, at: "12.345678", pid: 276)
        let tomorrow = network("web-2", "172.20.5.41", "52:54:00:AA:20:02", line: 398, at: "9.000001", pid: 4031)
        XCTAssertEqual(tonight.id, tomorrow.id, "\(tonight.text)\n---\n\(tomorrow.text)")
        XCTAssertEqual(tonight.id.count, 12)
        XCTAssertTrue(FailureSignature.isID(tonight.id))
        for volatile in ["mkt-vm-0001", "10.77.0.20", "52:54:00:3a:10:01", "412", "12.345678", "276", "0xffffffff"] {
            XCTAssertFalse(tonight.text.contains(volatile), "\(volatile) in \(tonight.text)")
        }
        XCTAssertTrue(tonight.text.contains("MACAddress=<mac>") && tonight.text.contains("cloud-init[<pid>]"), tonight.text)
    }

    func testAnotherRuleOrAnotherMessageIsAnotherSignature() {
        let evidence = ["ttyS0:12: [    5.4] VFS: Cannot open root device \"UUID=6a1f3c2e-9b7d-4e58-a1c0-3d2b8e7f4a10\""]
        let root = FailureSignature(rule: "BOOT-NO-PANIC", evidence: evidence, found: "")
        XCTAssertNotEqual(root.id, FailureSignature(rule: "BOOT-CONSOLE", evidence: evidence, found: "").id)
        let initMissing = FailureSignature(rule: "BOOT-NO-PANIC", evidence: ["ttyS0:12: [    5.4] Kernel panic - not syncing: No working init found."], found: "")
        XCTAssertNotEqual(root.id, initMissing.id)
        // Version numbers are no volatile part: another kernel is another failure.
        XCTAssertNotEqual(FailureSignature(rule: "LNX-KERNEL", evidence: ["/boot/vmlinuz-6.1.0-28-cloud-amd64"], found: "").id,
                          FailureSignature(rule: "LNX-KERNEL", evidence: ["/boot/vmlinuz-6.1.0-29-cloud-amd64"], found: "").id)
        // Without evidence, the finding's own words are the signature.
        XCTAssertEqual(FailureSignature(rule: "IMG-OS", evidence: [], found: "no operating system").text, "no operating system")
    }

    /// A name longer than the line it is looked for in, with NULs in it
    /// (what the fuzzer found crashing Foundation's replace) is only text.
    func testAHostnameIsReplacedWhateverItHolds() {
        let signature = FailureSignature(rule: "BOOT-NETWORK", evidence: ["5v$", "ttyS0:3: 5v$\u{0}\u{0} up"], found: "", hostnames: ["5v$\u{0}\u{0}\u{0}", "5v$\u{0}\u{0}"])
        XCTAssertEqual(signature.text, "5v$\nttyS0:<line>: <host> up")
    }
}

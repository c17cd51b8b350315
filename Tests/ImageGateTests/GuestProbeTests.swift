import Foundation
import ImageGate
import XCTest

/// The guest probe script, run by the host's sh against stand-in guest
/// commands: its one JSON object decodes into the facts first boot is
/// judged by, whatever noise cloud-init prints before its JSON.
final class GuestProbeTests: XCTestCase {
    func testProbeOutputDecodesIntoFacts() throws {
        let bin = NSTemporaryDirectory() + "probe-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        let commands = [
            // cloud-init prints progress dots while it waits, then the JSON.
            "cloud-init": #"printf '...'; printf '{"status": "done", "errors": [], "extended_status": "done"}\n'"#,
            "hostname": "echo ig-0a1b2c",
            "ip": #"""
                case "$*" in
                  "-j addr show") echo '[{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","UP"],"address":"52:54:00:12:34:56","addr_info":[{"family":"inet","local":"10.77.0.20","prefixlen":24}]}]' ;;
                  "-j route show") echo '[{"dst":"default","gateway":"10.77.0.1","dev":"eth0"}]' ;;
                esac
                """#,
            "findmnt": #"echo '{"filesystems": [{"target": "/data", "source": "/dev/vdb1", "fstype": "ext4", "options": "rw"}]}'"#,
            "systemctl": #"""
                case "$*" in
                  "is-active auditd") echo active ;;
                  "is-active firewalld") echo inactive; exit 3 ;;
                  *) echo 'cloud-init.service loaded failed failed a "quoted" \unit' ;;
                esac
                """#,
        ]
        for (name, body) in commands {
            try "#!/bin/sh\n\(body)\n".write(toFile: bin + "/" + name, atomically: true, encoding: .utf8)
            chmod(bin + "/" + name, 0o755)
        }
        let run = try Shell.run("sh", ["-s"], environment: ["PATH": bin + ":/usr/bin:/bin"], input: GuestProbe.script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let facts = try GuestFacts.decode(Data(run.stdout.utf8), channel: "test")
        XCTAssertEqual(facts.cloudInitStatus, "done", run.stdout)
        XCTAssertEqual(facts.hostname, "ig-0a1b2c")
        XCTAssertEqual(facts.interfaces.first?.mac, "52:54:00:12:34:56")
        XCTAssertEqual(facts.interfaces.first?.ipv4, ["10.77.0.20/24"])
        XCTAssertEqual(facts.routes.first?.gateway, "10.77.0.1")
        XCTAssertEqual(facts.dataMount?.source, "/dev/vdb1")
        XCTAssertEqual(facts.auditd, "active")
        XCTAssertEqual(facts.firewalld, "inactive")
        XCTAssertTrue(facts.failedUnits.hasSuffix(#"a "quoted" \unit"#), "quotes and backslashes survive: \(facts.failedUnits)")
    }

    func testAProbeWithoutCloudInitStillDecodes() throws {
        let run = try Shell.run("sh", ["-s"], environment: ["PATH": "/nonexistent:/usr/bin:/bin"], input: GuestProbe.script)
        let facts = try GuestFacts.decode(Data(run.stdout.utf8), channel: "test")
        XCTAssertNil(facts.cloudInitStatus, run.stdout)
    }
}

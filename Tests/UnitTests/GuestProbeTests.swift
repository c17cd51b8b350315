import Foundation
import ImageGate
import ImageGateBoot
import TestSupport
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
                  "list-jobs --no-legend --plain") printf '412 cloud-final.service start running\n413 cloud-init.target start waiting\n' ;;
                  "list-units --all --no-legend --plain --type=service --state=active,activating,reloading *ttyS0*") ;;
                  "is-enabled serial-getty@ttyS0.service") echo masked; exit 1 ;;
                  *) echo 'cloud-init.service loaded failed failed a "quoted" \unit' ;;
                esac
                """#,
        ]
        for (name, body) in commands {
            try "#!/bin/sh\n\(body)\n".write(toFile: bin + "/" + name, atomically: true, encoding: .utf8)
            chmod(bin + "/" + name, 0o755)
        }
        let run = try Shell.run("sh", ["-s", "--", "--ssh", "0a1b\"x"], environment: ["PATH": bin + ":/usr/bin:/bin"], input: GuestProbe.script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let facts = try GuestFacts.decode(Data(run.stdout.utf8), channel: "test")
        XCTAssertEqual(facts.nonce, "0a1b", "the nonce as given, hex only")
        XCTAssertEqual(facts.cloudInitStatus, "done", run.stdout)
        XCTAssertEqual(facts.hostname, "ig-0a1b2c")
        XCTAssertEqual(facts.interfaces.first?.mac, "52:54:00:12:34:56")
        XCTAssertEqual(facts.interfaces.first?.ipv4, ["10.77.0.20/24"])
        XCTAssertEqual(facts.routes.first?.gateway, "10.77.0.1")
        XCTAssertEqual(facts.dataMount?.source, "/dev/vdb1")
        XCTAssertEqual(facts.auditd, "active")
        XCTAssertEqual(facts.firewalld, "inactive")
        XCTAssertTrue(facts.failedUnits.hasSuffix(#"a "quoted" \unit"#), "quotes and backslashes survive: \(facts.failedUnits)")
        // The processes on ttyS0 are this host's: with none, systemd is
        // asked (only cloud-init's own jobs queued, no service for ttyS0);
        // with a getty there, nothing more is.
        let getty = try XCTUnwrap(facts.serialGetty, run.stdout)
        if getty.processes.isEmpty {
            XCTAssertEqual(getty.jobs, [])
            XCTAssertEqual(getty.units, [])
            XCTAssertEqual(getty.unitFile, "masked")
            XCTAssertTrue(getty.noneComing)
        } else {
            XCTAssertFalse(getty.noneComing, run.stdout)
        }
    }

    /// The console channel's line as the probe writes it, for facts larger
    /// than a console line may be (``ConsoleLog/Limits/lineScalars``, 4096):
    /// the base64 is wrapped, every line stays short, and the facts decode
    /// from the console as the watcher keeps it.
    func testLargeFactsCrossTheConsoleInShortLines() throws {
        let dir = NSTemporaryDirectory() + "probe-console-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let units = String(repeating: "vendor-agent.service loaded failed failed ", count: 200)
        try #"{"nonce": "n2", "hostname": "ig-big", "failedUnits": "\#(units)"}"#.write(toFile: dir + "/facts.json", atomically: true, encoding: .utf8)
        let line = try XCTUnwrap(GuestProbe.script.split(separator: "\n").first { $0.contains("IMAGEGATE-FACTS-BEGIN") })
        let command = line.replacingOccurrences(of: "/run/imagegate-facts.json", with: dir + "/facts.json")
            .replacingOccurrences(of: "/dev/ttyS0", with: dir + "/console")
        let run = try Shell.run("sh", ["-c", command])
        XCTAssertEqual(run.status, 0, run.stderr)
        let console = try String(contentsOfFile: dir + "/console", encoding: .utf8)
        XCTAssertGreaterThan(console.utf8.count, 8000)
        var log = ConsoleLog()
        log.feed("[  OK  ] Started cloud-final.service\n" + console + "Debian GNU/Linux 12 ig-big ttyS0\n", at: 1)
        XCTAssertEqual(log.truncatedLines, 0, "no console line is cut")
        let facts = try XCTUnwrap(FactsBlocks(log, nonce: "n2", complete: true).facts)
        XCTAssertEqual(facts.hostname, "ig-big")
        XCTAssertEqual(facts.failedUnits, units.trimmingCharacters(in: .whitespaces))
    }

    func testAProbeWithoutCloudInitStillDecodes() throws {
        let run = try Shell.run("sh", ["-s"], environment: ["PATH": "/nonexistent:/usr/bin:/bin"], input: GuestProbe.script)
        let facts = try GuestFacts.decode(Data(run.stdout.utf8), channel: "test")
        XCTAssertNil(facts.cloudInitStatus, run.stdout)
    }

    /// Where systemd does not answer (another init system, or none) the
    /// probe cannot say whether a getty will come: nil, and the watch waits.
    func testWithoutSystemdNoOneSaysAGettyWillNotCome() throws {
        let bin = NSTemporaryDirectory() + "probe-nosystemd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        try "#!/bin/sh\necho 'System has not been booted with systemd as init system (PID 1). Can'\\''t operate.' >&2\nexit 1\n"
            .write(toFile: bin + "/systemctl", atomically: true, encoding: .utf8)
        chmod(bin + "/systemctl", 0o755)
        let run = try Shell.run("sh", ["-s"], environment: ["PATH": bin + ":/usr/bin:/bin"], input: GuestProbe.script)
        let facts = try GuestFacts.decode(Data(run.stdout.utf8), channel: "test")
        // (Unless this host has a process on ttyS0: that alone answers.)
        if let getty = facts.serialGetty { XCTAssertFalse(getty.processes.isEmpty, run.stdout) }
    }
}

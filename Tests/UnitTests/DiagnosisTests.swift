@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
import XCTest

/// Which of the guest's lines the Diagnosis picks, on logs written here:
/// this boot's part of an appended log only, a traceback whole with its
/// exception's lines, numbers as in the whole file, the journal by unit.
final class DiagnosisTests: XCTestCase {
    let log = """
        2026-11-01 10:00:00,000 - util.py[DEBUG]: Cloud-init v. 22.4.2 running 'init-local' at Sun, 01 Nov 2026 10:00:00 +0000.
        2026-11-01 10:00:05,000 - util.py[WARNING]: Running module bootcmd (old build boot) failed
        2026-11-28 15:00:00,000 - util.py[DEBUG]: Cloud-init v. 22.4.2 running 'init-local' at Sat, 28 Nov 2026 15:00:00 +0000.
        2026-11-28 15:00:01,000 - stages.py[DEBUG]: network config is disabled by system_cfg
        2026-11-28 15:00:09,000 - util.py[WARNING]: Running module bootcmd (<module 'cloudinit.config.cc_bootcmd'>) failed
        2026-11-28 15:00:09,001 - util.py[DEBUG]: Running module bootcmd (<module 'cloudinit.config.cc_bootcmd'>) failed
        Traceback (most recent call last):
          File "/usr/lib/python3/dist-packages/cloudinit/config/modules.py", line 246, in _run_modules
            ran, _r = cc.run(
        cloudinit.subp.ProcessExecutionError: Unexpected error while running command.
        Command: ['/bin/sh', '-c', 'test -e /opt/vendor/license.key']
        Exit code: 1
        2026-11-28 15:00:10,000 - handlers.py[DEBUG]: finish: init-network/config-bootcmd: FAIL
        """

    func postMortem(firstLine: Int = 1) -> PostMortem {
        PostMortem(files: [
            .init(path: "/var/log/cloud-init.log", text: log, truncated: firstLine > 1, firstLine: firstLine),
            .init(path: "/etc/netplan/50-cloud-init.yaml", text: "network:\n  ethernets:\n    eth0:\n      match: {macaddress: '52:54:00:8a:3c:11'}\n",
                  truncated: false, firstLine: 1),
        ], journal: [
            .init(seconds: 3.1, source: "systemd-networkd.service", priority: 6, message: "eth0: Link UP", number: 1),
            .init(seconds: 4.0, source: "cron.service", priority: 6, message: "started", number: 2),
            .init(seconds: 9.0, source: "init.scope", priority: 3, message: "Dependency failed for data.mount - /data.", number: 3),
        ])
    }

    func finding(_ rule: String, _ outcome: Outcome = .fail) -> Finding {
        Finding(rule: rule, severity: .error, title: rule, outcome: outcome, required: "", found: "", evidence: [], fix: nil, waived: nil)
    }

    func testCloudInitQuotesThisBootsWarningsAndTheWholeTraceback() throws {
        let diagnosis = try XCTUnwrap(Diagnosis.diagnose([finding("BOOT-CLOUD-INIT")], from: postMortem(firstLine: 101)).first)
        let lines = diagnosis.excerpts.filter { $0.source == "/var/log/cloud-init.log" }
        XCTAssertFalse(lines.contains { $0.text.contains("old build boot") }, "an earlier boot's lines are not this boot's: \(lines)")
        XCTAssertEqual(lines.map(\.line), Array(105...112), "\(lines)")
        XCTAssertTrue(lines[0].text.contains("[WARNING]: Running module bootcmd"))
        XCTAssertEqual(lines[2].text, "Traceback (most recent call last):")
        XCTAssertEqual(lines.last?.text, "Exit code: 1", "the exception's own lines belong to the traceback, up to the log's next record")
        XCTAssertFalse(diagnosis.excerpts.contains { $0.source == "journal" }, "no cloud-init unit in this journal")
    }

    /// A log too large to count its lines: the tail's lines, numbered from
    /// 1, and the source says it is the end of the file only.
    func testATailWhoseLinesWereNotCountedSaysSo() throws {
        let diagnosis = try XCTUnwrap(Diagnosis.diagnose([finding("BOOT-CLOUD-INIT")], from: postMortem(firstLine: 0)).first)
        let lines = diagnosis.excerpts.filter { $0.source.hasPrefix("/var/log/cloud-init.log") }
        XCTAssertEqual(lines.map(\.line), Array(5...12), "\(lines)")
        XCTAssertEqual(Set(lines.map(\.source)), ["/var/log/cloud-init.log (its last \(log.utf8.count) bytes)"])
    }

    func testNetworkQuotesTheRenderedConfigurationAndTheNetworkJournal() throws {
        let diagnosis = try XCTUnwrap(Diagnosis.diagnose([finding("BOOT-NETWORK")], from: postMortem()).first)
        XCTAssertTrue(diagnosis.excerpts.contains { $0.location == "/etc/netplan/50-cloud-init.yaml:4" && $0.text.contains("52:54:00:8a:3c:11") })
        XCTAssertTrue(diagnosis.excerpts.contains { $0.location == "/var/log/cloud-init.log:4" && $0.text.contains("network config is disabled") })
        XCTAssertEqual(diagnosis.excerpts.filter { $0.source == "journal" }.map(\.location), ["journal #1 (systemd-networkd.service)"])
    }

    func testOnlyRulesThatDidNotPassAreDiagnosedAndTheTextIsSafe() throws {
        XCTAssertEqual(Diagnosis.diagnose([finding("BOOT-NETWORK", .pass), finding("LNX-NO-SWAP")], from: postMortem()), [])
        let panic = Diagnosis.diagnose([finding("BOOT-NO-PANIC", .couldNotCheck)], from: postMortem())
        XCTAssertEqual(panic.first?.excerpts.filter { $0.source == "journal" }.map(\.text), ["Dependency failed for data.mount - /data."])

        var hostile = postMortem()
        hostile.journal.append(.init(seconds: nil, source: "evil", priority: 2, message: "\u{1B}]0;owned\u{07} " + String(repeating: "x", count: 5000), number: 4))
        let instance = InstanceMetadata(hostname: "mkt-vm", mac: "52:54:00:aa:bb:cc", ip: "10.77.0.20", prefix: 24, gateway: "10.77.0.1", dns: [])
        let plan = BootPlan(image: ImageFile(path: "/i", format: "qcow2", virtualSize: 1), instance: instance, accelerator: .tcg,
                            sshPort: 1, directory: "/d", name: "n")
        let boot = BootResult(plan: plan, observation: BootObservation(instance: instance, console: ConsoleLog(), facts: nil, end: .factsReceived),
                              findings: [], domainXML: "", kept: false)
        var report = CheckReport.Instance(boot: boot, language: .english)
        report.postMortem = hostile
        report.diagnosis = Diagnosis.diagnose([finding("BOOT-NO-PANIC")], from: hostile)
        let text = Diagnosis.text([report], language: .english)
        XCTAssertFalse(text.contains("\u{1B}"), "escape sequences are dropped")
        XCTAssertTrue(text.contains("journal #4 (evil): ]0;owned x"))
        XCTAssertLessThan(text.count, 2000, "a line is cut at \(Diagnosis.maxLine) characters")
    }
}

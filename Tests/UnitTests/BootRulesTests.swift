import ImageGate
import ImageGateBoot
import ImageGateModel
import XCTest

/// The BOOT rules on fake observations: each passes on good facts and fails
/// with evidence on bad ones; nothing observed is "could not check".
final class BootRulesTests: XCTestCase {
    static let instance = InstanceMetadata(hostname: "ig-test", mac: "52:54:00:aa:bb:cc", ip: "10.77.0.20", prefix: 24,
                                           gateway: "10.77.0.1", dns: ["10.77.0.3"])

    static func facts(_ change: (inout GuestFacts) -> Void = { _ in }) -> GuestFacts {
        var facts = GuestFacts(
            channel: "ssh", hostname: "ig-test",
            interfaces: [.init(name: "lo", mac: "00:00:00:00:00:00", up: true, ipv4: ["127.0.0.1/8"]),
                         .init(name: "eth0", mac: "52:54:00:aa:bb:cc", up: true, ipv4: ["10.77.0.20/24"])],
            routes: [.init(destination: "default", gateway: "10.77.0.1", device: "eth0")],
            dataMount: .init(source: "/dev/vdb1", target: "/data", fstype: "ext4"),
            auditd: "active", firewalld: "inactive", cloudInitStatus: "done", cloudInitErrors: [],
            cmdline: "BOOT_IMAGE=/boot/vmlinuz ro net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8 quiet", swaps: "", machineID: "abc", hostKeys: "x", failedUnits: "", raw: "{}")
        change(&facts)
        return facts
    }

    static func observation(facts: GuestFacts?, console: [String] = ConsoleLogTests.healthy, end: BootObservation.End = .factsReceived) -> BootObservation {
        var log = ConsoleLog()
        for (i, chunk) in console.enumerated() { log.feed(chunk, at: Double(i)) }
        return BootObservation(instance: instance, console: log, facts: facts, end: end)
    }

    func outcome(_ rule: String, _ o: BootObservation) -> Finding {
        BootRules.evaluate(o).first { $0.rule == rule }!
    }

    func testHealthyBootPassesEveryRule() {
        let findings = BootRules.evaluate(Self.observation(facts: Self.facts()))
        XCTAssertEqual(findings.map(\.rule), (BootRules.catalogue + BootRules.staticRuleHalves).map(\.id))
        for finding in findings { XCTAssertEqual(finding.outcome, .pass, "\(finding.rule): \(finding.found)") }
    }

    /// With a reboot step, each rule counts its worse boot: what broke only
    /// after the reboot fails and says so, with its console lines numbered
    /// after the first boot's; what held twice says that too.
    func testAfterARebootTheWorseBootCounts() {
        let first = Self.observation(facts: Self.facts())
        let panicking = Array(ConsoleLogTests.healthy.prefix(3)) + ["\r\n[ 2.1] Kernel panic - not syncing: No working init found.\r\n"]
        let second = Self.observation(facts: Self.facts { $0.dataMount = nil }, console: panicking,
                                      end: .fatal(.init(pattern: Badness.table[0], mark: .init(seconds: 3, line: 4, text: ""))))
        let findings = BootRules.evaluate(first, afterReboot: second)
        XCTAssertEqual(findings.map(\.rule), BootRules.evaluate(first).map(\.rule))
        let data = findings.first { $0.rule == "BOOT-DATA-DISK" }!
        XCTAssertEqual(data.outcome, .fail)
        XCTAssertTrue(data.found.hasPrefix("after a reboot: ") && data.found.hasSuffix("(on the first boot: pass)"), data.found)
        let panic = findings.first { $0.rule == "BOOT-NO-PANIC" }!
        let line = panic.evidence.first { $0.path == "ttyS0" }?.line
        XCTAssertEqual(line, BootRules.evaluate(second).first { $0.rule == "BOOT-NO-PANIC" }!.evidence.first { $0.path == "ttyS0" }!.line! + first.console.lines.count + (first.console.partial.isEmpty ? 0 : 1),
                       "numbered as in the whole console log")
        let hostname = findings.first { $0.rule == "BOOT-HOSTNAME" }!
        XCTAssertEqual(hostname.outcome, .pass)
        XCTAssertTrue(hostname.found.contains("again after a reboot"), hostname.found)
        // A first boot that failed is what counts, whatever the second says.
        let failedFirst = Self.observation(facts: Self.facts { $0.hostname = "localhost" })
        XCTAssertFalse(BootRules.evaluate(failedFirst, afterReboot: first).first { $0.rule == "BOOT-HOSTNAME" }!.found.contains("reboot"))
    }

    /// A second NIC is judged like the first: its MAC named eth1, with its
    /// address, up; missing, misnamed or unaddressed, BOOT-NETWORK fails.
    func testASecondNICMustComeUpAsEth1WithItsAddress() {
        var instance = Self.instance
        instance.extraNICs = [.init(mac: "52:54:00:aa:bb:dd", ip: "10.78.0.20", prefix: 24)]
        func network(_ interfaces: [GuestFacts.Interface]) -> Finding {
            let facts = Self.facts { $0.interfaces += interfaces }
            var log = ConsoleLog()
            for (i, chunk) in ConsoleLogTests.healthy.enumerated() { log.feed(chunk, at: Double(i)) }
            return outcome("BOOT-NETWORK", BootObservation(instance: instance, console: log, facts: facts, end: .factsReceived))
        }
        let good = network([.init(name: "eth1", mac: "52:54:00:aa:bb:dd", up: true, ipv4: ["10.78.0.20/24"])])
        XCTAssertEqual(good.outcome, .pass, good.found)
        XCTAssertTrue(good.found.contains("eth1 52:54:00:aa:bb:dd has 10.78.0.20/24"), good.found)
        let missing = network([])
        XCTAssertEqual(missing.outcome, .fail)
        XCTAssertTrue(missing.found.contains("no interface has MAC 52:54:00:aa:bb:dd (eth1)"), missing.found)
        let unaddressed = network([.init(name: "ens4", mac: "52:54:00:aa:bb:dd", up: false, ipv4: [])])
        XCTAssertTrue(unaddressed.found.contains("is ens4, not eth1") && unaddressed.found.contains("ens4 has no IPv4 address")
                      && unaddressed.found.contains("ens4 is down"), unaddressed.found)
    }

    func testEachRuleFailsOnItsBadFact() {
        let cases: [(String, GuestFacts, String)] = [
            ("BOOT-NETWORK", Self.facts { $0.interfaces[1].mac = "52:54:00:11:22:33" }, "not 52:54:00:aa:bb:cc"),
            ("BOOT-NETWORK", Self.facts { $0.interfaces[1].ipv4 = ["192.168.122.57/24"] }, "not 10.77.0.20/24"),
            ("BOOT-NETWORK", Self.facts { $0.routes = [] }, "no default route"),
            ("BOOT-HOSTNAME", Self.facts { $0.hostname = "vendor-build-01" }, "not ig-test"),
            ("BOOT-DATA-DISK", Self.facts { $0.dataMount = nil }, "nothing is mounted at /data"),
            ("BOOT-CLOUD-INIT", Self.facts { $0.cloudInitStatus = "error"; $0.cloudInitErrors = ["bootcmd failed"] }, "1 error"),
            ("BOOT-AUDITD", Self.facts { $0.auditd = "failed" }, "auditd is failed"),
            ("BOOT-FIREWALLD", Self.facts { $0.firewalld = "active" }, "firewalld is active"),
            ("LNX-GRUB-CFG", Self.facts { $0.cmdline = "BOOT_IMAGE=/boot/vmlinuz ro console=tty0" }, "lacks net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0"),
            ("LNX-NO-SWAP", Self.facts { $0.swaps = "/swapfile  file  65532  0  -2" }, "1 active swap area"),
        ]
        for (rule, facts, expected) in cases {
            let finding = outcome(rule, Self.observation(facts: facts))
            XCTAssertEqual(finding.outcome, .fail, "\(rule)")
            XCTAssertTrue(finding.found.contains(expected), "\(rule): \(finding.found)")
            XCTAssertFalse(finding.evidence.isEmpty, "\(rule) has evidence")
            XCTAssertNotNil(finding.fix)
        }
    }

    func testPanicFailsNoPanicWithTheConsoleLine() {
        let console = Array(ConsoleLogTests.healthy.prefix(3)) + ["\r\n[ 2.1] Kernel panic - not syncing: No working init found.\r\n"]
        let o = Self.observation(facts: nil, console: console, end: .fatal(.init(pattern: Badness.table[0], mark: .init(seconds: 3, line: 6, text: ""))))
        let panic = outcome("BOOT-NO-PANIC", o)
        XCTAssertEqual(panic.outcome, .fail)
        XCTAssertTrue(panic.evidence.contains { $0.path == "ttyS0" && $0.text.contains("Kernel panic") }, "\(panic.evidence)")
        // What nobody observed is could-not-check, never pass.
        for rule in ["BOOT-NETWORK", "BOOT-DATA-DISK", "BOOT-AUDITD", "BOOT-FIREWALLD"] {
            XCTAssertEqual(outcome(rule, o).outcome, .couldNotCheck, rule)
        }
    }

    func testWithoutFactsTheLoginPromptJudgesTheHostname() {
        var console = ConsoleLogTests.healthy
        console[7] = "\r\nDebian GNU/Linux 12 localhost ttyS0\r\n\r\nlocalhost login: "
        let o = Self.observation(facts: nil, console: Array(console.prefix(8)), end: .cloudInitSilent(seconds: 100))
        let hostname = outcome("BOOT-HOSTNAME", o)
        XCTAssertEqual(hostname.outcome, .fail)
        XCTAssertEqual(hostname.evidence.first?.text, "localhost login:")
    }

    func testSilentCloudInitFails() {
        let console = ConsoleLogTests.healthy.filter { !$0.contains("cloud-init") && !$0.contains("Cloud-init") }
        let o = Self.observation(facts: nil, console: console, end: .cloudInitSilent(seconds: 100))
        let finding = outcome("BOOT-CLOUD-INIT", o)
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertTrue(finding.found.contains("never ran"), finding.found)
    }

    func testNoConsoleOutputFailsConsole() {
        let o = Self.observation(facts: nil, console: [], end: .deadline(.firstByte, seconds: 75))
        XCTAssertEqual(outcome("BOOT-CONSOLE", o).outcome, .fail)
    }
}

/// BOOT-CONSOLE's evidence is what the guest wrote: never ImageGate's own
/// facts block, and a line too long to show says how long it was.
final class ConsoleEvidenceTests: XCTestCase {
    func testTheEvidenceIsTheGuestsOwnLines() {
        var log = ConsoleLog()
        log.feed("guest line one\r\nguest line two\r\n", at: 1)
        let probe = Data(#"{"nonce":"77","hostname":"ig-test"}"#.utf8).base64EncodedString()
        log.feed("\(GuestProbe.beginMarker) \r\n\(probe.prefix(20))\r\n\(probe.dropFirst(20))\r\n\(GuestProbe.endMarker)\r\n", at: 2)
        log.feed(String(repeating: "x", count: 5000), at: 3)
        var o = BootObservation(instance: BootRulesTests.instance, console: log, facts: nil, end: .overallTimeout(seconds: 10))
        o.factsBlocks = FactsBlocks(log, nonce: "77", complete: true)
        let finding = BootRules.evaluate(o).first { $0.rule == "BOOT-CONSOLE" }!
        XCTAssertEqual(finding.outcome, .fail)
        let texts = finding.evidence.map(\.text)
        XCTAssertFalse(texts.contains { $0.contains("IMAGEGATE") || $0.contains(probe.prefix(8)) }, "\(texts)")
        XCTAssertTrue(texts.contains("guest line two"), "\(texts)")
        XCTAssertTrue(texts.contains { $0.hasPrefix("[a line of 5000 characters; the end kept:] …") }, "\(texts)")
        XCTAssertEqual(finding.evidence.last?.line, 7, "numbered as in the console log")
    }
}

import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// Issue 9: PASS only when every error rule was checked and held; the boot
/// rules judge what the console and the probe really showed.
final class VerdictTests: XCTestCase {
    func finding(_ rule: String, _ outcome: Outcome, _ severity: Severity = .error, waived: String? = nil) -> Finding {
        Finding(rule: rule, severity: severity, title: rule, outcome: outcome, required: "r", found: "f", evidence: [], fix: nil, waived: waived)
    }

    func testVerdictIsIncompleteWhenAnErrorRuleCouldNotBeChecked() {
        XCTAssertEqual(GateVerdict([finding("A", .pass), finding("B", .notApplicable)]), .pass)
        XCTAssertEqual(GateVerdict([finding("A", .pass), finding("B", .couldNotCheck)]), .incomplete)
        XCTAssertEqual(GateVerdict([finding("A", .fail), finding("B", .couldNotCheck)]), .fail)
        XCTAssertEqual(GateVerdict([finding("A", .couldNotCheck, .warning)]), .pass, "a warning rule unchecked does not stop a pass")
        XCTAssertEqual(GateVerdict([finding("A", .couldNotCheck, waived: "accepted, ticket 1")]), .pass, "a waiver accepts it")
        XCTAssertEqual(GateVerdict([finding("A", .fail, waived: "ticket 2"), finding("B", .info, .info)]), .pass)
        XCTAssertEqual(GateVerdict.incomplete.exitStatus, 4)
    }

    func testAnInfoViolationIsShownAsInfoNotPass() async {
        let rule = Rule("X-INFO", .info, title: "t", required: "r", fix: "f", chinese: RuleText(title: "标题", required: "要求", fix: "修复")) { _ in .violated("not latest", [Evidence("kernel 6.1")]) }
        let context = RuleContext(fs: InMemoryFilesystem(), facts: RuleTests.facts)
        let result = await rule.evaluate(context)
        XCTAssertEqual(result.outcome, .info)
    }

    func testAProfileWaiverAcceptsARuleThatCouldNotBeChecked() async {
        let rule = Rule("X-ERR", .error, title: "t", required: "r", fix: "f", chinese: RuleText(title: "标题", required: "要求", fix: "修复")) { _ in .couldNotCheck("unreadable") }
        var profile = PlatformProfile.default
        profile.waivers = [.init(rule: "X-ERR", reason: "no agent on this product")]
        let result = await rule.evaluate(RuleContext(fs: InMemoryFilesystem(), facts: RuleTests.facts, profile: profile))
        XCTAssertEqual(result.waived, "no agent on this product")
        XCTAssertEqual(GateVerdict([result]), .pass)
    }

    func testReportsAgreeOnIncomplete() throws {
        let findings = [finding("LNX-A", .pass), finding("LNX-MONITOR-AGENT", .couldNotCheck)]
        let report = CheckReport(generatedAt: "now", language: "en", image: .init(path: "/i.qcow2", format: "qcow2", virtualSize: 1, sha256: "x", sha256After: "x"),
                                 scenario: .init(name: "s", description: "d", source: "built-in"), accelerator: .tcg,
                                 verdict: GateVerdict(findings), staticInspection: nil, instances: [], findings: findings, seconds: 1)
        XCTAssertTrue(try report.json().contains("\"verdict\" : \"incomplete\""))
        let junit = JUnitReport.render(report)
        XCTAssertTrue(junit.contains("<error message=\"Could not check: f\""), junit)
        XCTAssertTrue(junit.contains("errors=\"1\""), junit)
        let html = HTMLReport.render(report)
        XCTAssertTrue(html.contains("<header class=\"incomplete\">") && html.contains("Verdict: INCOMPLETE"), html)
        let text = InspectionReport.verdictLine(findings)
        XCTAssertTrue(text.hasPrefix("VERDICT: INCOMPLETE") && text.contains("LNX-MONITOR-AGENT (f)"), text)
        XCTAssertTrue(InspectionReport.verdictLine(findings, language: .chinese).contains("检查不完整"))
    }

    // MARK: Boot rules

    static func observation(_ console: [String], facts: GuestFacts? = nil, end: BootObservation.End = .factsReceived) -> BootObservation {
        BootRulesTests.observation(facts: facts, console: console, end: end)
    }

    func rule(_ id: String, _ o: BootObservation) -> Finding { BootRules.evaluate(o).first { $0.rule == id }! }

    /// A `quiet` kernel command line: GRUB, the login prompt and
    /// cloud-init's lines on ttyS0, no kernel messages.
    func testAQuietConsoleWithALoginPromptPassesBootConsole() {
        let quiet = ConsoleLogTests.healthy.filter { !$0.contains("Linux version") && !$0.contains("Run /init") && !$0.contains("systemd[1]") && !$0.contains("Welcome to") }
        let o = Self.observation(quiet, facts: BootRulesTests.facts())
        XCTAssertNil(o.console.stages[.kernel])
        let console = rule("BOOT-CONSOLE", o)
        XCTAssertEqual(console.outcome, .pass, console.found)
        XCTAssertTrue(console.found.contains("quiet"), console.found)
    }

    func testNoLoginPromptFailsBootConsoleEvenWithKernelMessages() {
        let noGetty = ConsoleLogTests.healthy.filter { !$0.contains("login:") }
        XCTAssertEqual(rule("BOOT-CONSOLE", Self.observation(noGetty, facts: BootRulesTests.facts())).outcome, .fail)
    }

    /// Healthy consoles say DEBUG, debug and bug in words of their own; none
    /// of them is a kernel BUG.
    func testBadnessPatternsMatchWholeWordsOnly() {
        let healthy = [
            "[   12.3] cloud-init[501]: DEBUG: Running module ssh",
            "2026-11-28 05:00:01,123 - util.py[DEBUG]: Reading from /proc/uptime (quiet=False)",
            "[    1.0] ACPI: DEBUG: leaving S0",
            "[    2.0] usbcore: registered new interface driver DEBUGFS_BUG: x",
            "[    3.0] Whoops: something harmless",
            "[    4.0] systemd[1]: Started Debugger service (BUGS=0).",
        ]
        var log = ConsoleLog()
        log.feed(healthy.joined(separator: "\r\n") + "\r\n", at: 1)
        XCTAssertEqual(log.hits, [], "false badness on a healthy console")
        var bad = ConsoleLog()
        bad.feed("[ 5.1] BUG: unable to handle page fault for address: 0000\r\n[ 5.2] Oops: 0002 [#1] SMP\r\n", at: 1)
        XCTAssertEqual(bad.hits.map(\.pattern.text), ["BUG: ", "Oops: "])
        XCTAssertEqual(bad.hits.map(\.pattern.failureClass), ["kernel-oops", "kernel-oops"])
    }

    func testNoPanicIsCouldNotCheckUntilTheBootGotSomewhere() {
        let early = Array(ConsoleLogTests.healthy.prefix(4))
        let o = Self.observation(early, end: .deadline(.loginPrompt, seconds: 300))
        XCTAssertEqual(rule("BOOT-NO-PANIC", o).outcome, .couldNotCheck)
        XCTAssertEqual(rule("BOOT-NO-PANIC", Self.observation([], end: .deadline(.firstByte, seconds: 75))).outcome, .couldNotCheck)
        // A healthy console with no probe's answer: its prompt is text anything can print.
        let printed = rule("BOOT-NO-PANIC", Self.observation(ConsoleLogTests.healthy, end: .noFacts(seconds: 30)))
        XCTAssertEqual(printed.outcome, .couldNotCheck, printed.found)
        let full = rule("BOOT-NO-PANIC", Self.observation(ConsoleLogTests.healthy + ["[FAILED] Failed to start foo.service - Foo.\r\n"],
                                                           facts: BootRulesTests.facts()))
        XCTAssertEqual(full.outcome, .pass)
        XCTAssertTrue(full.evidence.contains { $0.text.contains("foo.service") }, "failed units are evidence: \(full.evidence)")
    }

    func boot(_ host: String, _ findings: [Finding], facts: GuestFacts? = nil) -> BootResult {
        let instance = InstanceMetadata(hostname: host, mac: "52:54:00:aa:bb:cc", ip: "10.77.0.20", prefix: 24, gateway: "10.77.0.1", dns: [])
        let plan = BootPlan(image: ImageFile(path: "/i", format: "qcow2", virtualSize: 1), instance: instance, accelerator: .tcg,
                            sshPort: 1, directory: "/d", name: "n")
        return BootResult(plan: plan, observation: BootObservation(instance: instance, console: ConsoleLog(), facts: facts, end: .factsReceived),
                          findings: findings, domainXML: "", kept: false)
    }

    func testMergingInstancesKeepsTheWorstOutcome() {
        let merged = BootRules.merge([boot("a", [finding("BOOT-CONSOLE", .pass)]), boot("b", [finding("BOOT-CONSOLE", .warning)])])
        XCTAssertEqual(merged.first { $0.rule == "BOOT-CONSOLE" }?.outcome, .warning)
        let unchecked = BootRules.merge([boot("a", [finding("BOOT-NETWORK", .pass)]), boot("b", [finding("BOOT-NETWORK", .couldNotCheck)])])
        XCTAssertEqual(unchecked.first { $0.rule == "BOOT-NETWORK" }?.outcome, .couldNotCheck)
        XCTAssertEqual(Outcome.allCases.sorted { $0.rank < $1.rank }, [.notApplicable, .pass, .info, .warning, .couldNotCheck, .fail])
    }

    func testReinstanceFailsWhenNoInstanceGeneratedHostKeys() {
        let none = BootRules.digestOfNothing
        let a = boot("a", [], facts: BootRulesTests.facts { $0.hostKeys = none; $0.machineID = "1" })
        let b = boot("b", [], facts: BootRulesTests.facts { $0.hostKeys = none; $0.machineID = "2" })
        let finding = BootRules.evaluate(BootSet(boots: [a, b], declaredPorts: [])).first { $0.rule == "BOOT-REINSTANCE" }!
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertTrue(finding.evidence.contains { $0.text.contains("no SSH host keys generated") }, "\(finding.evidence)")
        XCTAssertFalse(finding.evidence.contains { $0.text.contains("shared") }, "nothing was shared: \(finding.evidence)")
    }

    /// A static rule's boot half folds into its static finding: the worse
    /// outcome, with both halves' evidence.
    func testBootHalvesFoldIntoTheirStaticRules() {
        let staticPass = Finding(rule: "LNX-NO-SWAP", severity: .error, title: "t", outcome: .pass, required: "r", found: "no swap in fstab",
                                 evidence: [Evidence(path: "/etc/fstab", "ok")], fix: nil)
        let bootFail = BootRules.activeSwap.finding(.violated("1 active swap area(s)", [Evidence(path: "/proc/swaps", "/dev/vda5")]))
        let folded = BootRules.foldingBootHalves([staticPass], booted: [bootFail])
        XCTAssertEqual(folded.first?.outcome, .fail)
        XCTAssertEqual(folded.first?.evidence.map(\.path), ["/etc/fstab", "/proc/swaps"])
        XCTAssertTrue(folded.first?.found.contains("at boot: 1 active swap") ?? false)
        let unbooted = BootRules.foldingBootHalves([staticPass], booted: [BootRules.activeSwap.finding(.couldNotCheck("no boot"))])
        XCTAssertEqual(unbooted, [staticPass], "no boot leaves the static finding alone")
    }

    /// Every rule of every catalogue has its texts in both languages.
    func testEveryRuleHasEnglishAndChineseTexts() {
        let rules = RuleCatalogue.all.map { ($0.id, RuleText(title: $0.title, required: $0.required, fix: $0.fix), $0.chinese) }
            + BootRules.all.map { ($0.id, RuleText(title: $0.title, required: $0.required, fix: $0.fix), $0.chinese) }
        XCTAssertEqual(Set(rules.map(\.0)).count, rules.count, "duplicate rule IDs")
        for (id, english, chinese) in rules {
            for text in [english, chinese] {
                XCTAssertFalse(text.title.isEmpty || text.required.isEmpty || text.fix.isEmpty, "\(id): a text is missing")
            }
            XCTAssertNotEqual(english.title, chinese.title, "\(id): the Chinese title is the English one")
            XCTAssertTrue(chinese.title.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(id): the Chinese title has no Chinese")
        }
    }
}

/// Issue 9, items 2 to 4: which OS, what was mounted, one bad path.
final class ReadIntegrityTests: XCTestCase {
    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3I vendor@build-01\n"

    func evaluate(_ rule: Rule, _ fs: any GuestFilesystem, facts: OSFacts = RuleTests.facts) async -> Finding {
        await rule.evaluate(RuleContext(fs: fs, facts: facts))
    }

    /// sshd reads authorized_keys and skips a directory named
    /// authorized_keys2: the key fails the rule, the directory is evidence.
    func testADirectoryBesideAKeyDoesNotHideIt() async {
        let fs = InMemoryFilesystem(files: ["/root/.ssh/authorized_keys": Self.key], directories: ["/root/.ssh/authorized_keys2"])
        let finding = await evaluate(SecurityRules.authorizedKeys, fs)
        XCTAssertEqual(finding.outcome, .fail, finding.found)
        XCTAssertTrue(finding.evidence.contains { $0.path == "/root/.ssh/authorized_keys" && $0.line == 1 }, "\(finding.evidence)")
        XCTAssertTrue(finding.evidence.contains { $0.path == "/root/.ssh/authorized_keys2" && $0.text.contains("directory") }, "\(finding.evidence)")
        // Alone, the directory is no key: a pass that says what it skipped.
        let alone = await evaluate(SecurityRules.authorizedKeys, InMemoryFilesystem(directories: ["/root/.ssh/authorized_keys2"]))
        XCTAssertEqual(alone.outcome, .pass)
        XCTAssertFalse(alone.evidence.isEmpty)
        // A dangling link is no key either.
        let dangling = await InMemoryFilesystem(symlinks: ["/root/.ssh/authorized_keys": "/nowhere"]).readRegular("/root/.ssh/authorized_keys")
        guard case .notRegular = dangling else { return XCTFail("\(dangling)") }
    }

    /// /home in fstab but not mounted: rules reading there cannot check,
    /// while a key in /root (which is mounted) still fails the rule.
    func testNothingIsReadUnderAFilesystemThatWouldNotMount() async {
        let fstab = Fstab(parsing: "UUID=r / ext4 defaults 0 1\nUUID=h /home ext4 defaults 0 2\nUUID=d /srv ext4 nofail 0 2\n")
        let mounts = GuestMount.table(fstab: fstab, root: "/dev/sda1", attempted: ["/": "/dev/sda1"], failures: [:])
        XCTAssertEqual(mounts.map(\.mountpoint), ["/", "/home", "/srv"])
        XCTAssertEqual(mounts.map(\.hidesContents), [false, true, false], "a nofail filesystem may be absent at boot")
        XCTAssertTrue(mounts[1].problem?.contains("UUID=h matches no filesystem") ?? false, "\(mounts[1])")
        let failed = GuestMount.table(fstab: fstab, root: "/dev/sda1", attempted: ["/": "/dev/sda1", "/home": "/dev/sda2"],
                                      failures: ["/home": "wrong fs type, bad superblock"])
        XCTAssertTrue(failed[1].problem?.contains("bad superblock") ?? false)

        let tree = InMemoryFilesystem(files: ["/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\n"],
                                      directories: ["/home"])
        let fs = MountAwareFilesystem(tree, mounts: mounts)
        let keys = await evaluate(SecurityRules.authorizedKeys, fs)
        XCTAssertEqual(keys.outcome, .couldNotCheck, keys.found)
        XCTAssertTrue(keys.found.contains("/home") && keys.found.contains("could not be mounted"), keys.found)
        let outcome1 = await evaluate(SecurityRules.history, fs).outcome
        XCTAssertEqual(outcome1, .couldNotCheck)

        var withKey = tree
        withKey.files["/root/.ssh/authorized_keys"] = Self.key
        let outcome2 = await evaluate(SecurityRules.authorizedKeys, MountAwareFilesystem(withKey, mounts: mounts)).outcome
        XCTAssertEqual(outcome2, .fail)
    }

    func testImgOSNeverPassesWhatItCannotJudge() async {
        var windows = RuleTests.facts
        windows.family = "windows"; windows.distro = "windows"; windows.productName = "Windows Server 2019 Datacenter"
        windows.operatingSystems = ["windows windows 10.0 (Windows Server 2019 Datacenter) on /dev/sda2"]
        let onWindows = await evaluate(ImageRules.operatingSystem, InMemoryFilesystem(), facts: windows)
        XCTAssertEqual(onWindows.outcome, .pass, "ImageGate has rules for Windows")
        // ... but one of them needs a boot ImageGate does not do for Windows.
        let noDynamicID = await evaluate(WindowsInitRules.noDynamicIdentity, InMemoryFilesystem(), facts: windows)
        XCTAssertEqual(noDynamicID.outcome, .couldNotCheck)
        XCTAssertEqual(GateVerdict([onWindows, noDynamicID]), .incomplete, "a Windows image is never a PASS while a boot rule is unjudged")
        // A WIN rule without the registry it reads could not check, never passes.
        let rdp = await evaluate(WindowsAccessRules.rdp, InMemoryFilesystem(), facts: windows)
        XCTAssertEqual(rdp.outcome, .couldNotCheck, rdp.found)

        var two = RuleTests.facts
        two.operatingSystems = ["linux debian 12.5 (12.5) on /dev/sda1", "linux ubuntu 22.4 (22.04) on /dev/sda2"]
        let outcome3 = await evaluate(ImageRules.operatingSystem, InMemoryFilesystem(), facts: two).outcome
        XCTAssertEqual(outcome3, .fail)
        var bsd = RuleTests.facts
        bsd.family = "freebsd"
        let outcome4 = await evaluate(ImageRules.operatingSystem, InMemoryFilesystem(), facts: bsd).outcome
        XCTAssertEqual(outcome4, .fail)
        let outcome5 = await evaluate(ImageRules.operatingSystem, InMemoryFilesystem(), facts: RuleTests.facts).outcome
        XCTAssertEqual(outcome5, .pass)

        // A scenario that declares another family fails IMG-OS.
        let linux = await evaluate(ImageRules.operatingSystem, InMemoryFilesystem(), facts: RuleTests.facts)
        let declared = CheckRunner.checkOSFamily(linux, declared: "windows", found: RuleTests.facts)
        XCTAssertEqual(declared.outcome, .fail)
    }
}

import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel
import TestSupport
import XCTest

final class ScenarioTests: XCTestCase {
    func testEveryShippedScenarioLoads() throws {
        let dir = PackageRoot.path + "/Scenarios"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files, ["default-linux.yaml", "dhcp.yaml", "no-data-disk.yaml", "one-vcpu.yaml", "other-mac-prefix.yaml", "reboot.yaml", "reinstance.yaml",
                               "service-ports.yaml", "small-memory.yaml", "two-nics.yaml", "windows.yaml"])
        for file in files {
            let scenario = try Scenario.load(path: dir + "/" + file)
            XCTAssertEqual(scenario.name + ".yaml", file)
            XCTAssertFalse(scenario.instances.isEmpty)
        }
        let reinstance = try Scenario.load(path: dir + "/reinstance.yaml")
        XCTAssertEqual(reinstance.instances.count, 2)
        XCTAssertNotEqual(reinstance.instances[0].ip, reinstance.instances[1].ip)
        XCTAssertTrue(try Scenario.load(path: dir + "/dhcp.yaml").instances[0].dhcp)
        XCTAssertEqual(try Scenario.load(path: dir + "/service-ports.yaml").servicePorts, [22])
        XCTAssertEqual(try Scenario.load(path: dir + "/one-vcpu.yaml").hardware.cpus, 1)
        XCTAssertEqual(try Scenario.load(path: dir + "/windows.yaml").osFamily, "windows")
        XCTAssertEqual(try Scenario.load(path: dir + "/no-data-disk.yaml").dataDiskGiB, [0])
        XCTAssertEqual(try Scenario.load(path: dir + "/small-memory.yaml").hardware.memoryMiB, 512)
        XCTAssertEqual(try Scenario.load(path: dir + "/other-mac-prefix.yaml").instances[0].mac.prefix(8), "fa:16:3e")
        XCTAssertTrue(try Scenario.load(path: dir + "/reboot.yaml").reboot)
        XCTAssertFalse(try Scenario.load(path: dir + "/default-linux.yaml").reboot)
    }

    /// The reboot step: strictly a boolean, written back into a bundle's
    /// scenario, and a plan with it has the probe report on every boot
    /// (its unit enabled), not only the first.
    func testTheRebootStepIsValidatedKeptAndMakesTheProbeReportEveryBoot() throws {
        let text = "name: r\ninstances:\n  - hostname: ig-r\nreboot: twice\n"
        XCTAssertThrowsError(try Scenario.parse(text, source: "r.yaml")) { error in
            XCTAssertTrue("\(error)".contains("r.yaml") && "\(error)".contains("reboot"), "\(error)")
        }
        let scenario = try Scenario.load(path: PackageRoot.path + "/Scenarios/reboot.yaml")
        XCTAssertTrue(try Scenario.parse(scenario.yaml(profile: nil), source: "bundle").reboot, "a bundle replays the reboot step")
        var seed = CloudInitSeed(instance: scenario.instances[0], sshPublicKey: "ssh-ed25519 AAAA test")
        XCTAssertFalse(seed.userData.contains("[systemctl, enable, imagegate-probe.service]"))
        seed.probeEveryBoot = true
        XCTAssertTrue(seed.userData.contains("runcmd:\n  - [systemctl, enable, imagegate-probe.service]\n  - [systemctl, start, --no-block, imagegate-probe.service]"), seed.userData)
        XCTAssertTrue(seed.userData.contains("WantedBy=multi-user.target") && seed.userData.contains("Type=simple"), "started every boot, without holding multi-user.target")
    }

    /// What each vendor-failure scenario asks of a boot reaches the VM and
    /// its seed: no data disk (no vdb, no disk_setup, BOOT-DATA-DISK does
    /// not apply), 512 MiB, another vendor's MAC.
    func testTheVendorFailureScenariosReachTheBootPlan() throws {
        let dir = PackageRoot.path + "/Scenarios"
        func plan(_ file: String) throws -> BootPlan {
            let scenario = try Scenario.load(path: dir + "/" + file)
            var plan = BootPlan(image: ImageFile(path: "/nonexistent.qcow2", format: "qcow2", virtualSize: 1 << 30), instance: scenario.instances[0],
                                accelerator: .tcg, sshPort: 2222, directory: NSTemporaryDirectory() + "plan")
            plan.memoryMiB = scenario.hardware.memoryMiB
            plan.cpus = scenario.hardware.cpus
            plan.dataDiskBytes = Int64(scenario.dataDiskGiB[0]) << 30
            return plan
        }
        let noDisk = try plan("no-data-disk.yaml")
        XCTAssertFalse(noDisk.domainXML.contains("data.qcow2") || noDisk.domainXML.contains("dev='vdb'"), noDisk.domainXML)
        var seed = CloudInitSeed(instance: noDisk.instance, sshPublicKey: "ssh-ed25519 AAAA test")
        seed.dataDevice = nil
        XCTAssertFalse(seed.userData.contains("disk_setup") || seed.userData.contains("fs_setup") || seed.userData.contains("\nmounts:"), seed.userData)
        seed.dataDevice = "/dev/vdb"
        XCTAssertTrue(seed.userData.contains("disk_setup:\n  /dev/vdb:") && seed.userData.contains("\nmounts:"), seed.userData)
        XCTAssertTrue(try plan("default-linux.yaml").domainXML.contains("dev='vdb'"))
        var observation = BootObservation(instance: noDisk.instance, console: ConsoleLog(), facts: nil, end: .factsReceived)
        observation.hadDataDisk = false
        XCTAssertEqual(BootRules.evaluate(observation).first { $0.rule == "BOOT-DATA-DISK" }?.outcome, .notApplicable)

        let small = try plan("small-memory.yaml")
        XCTAssertTrue(small.domainXML.contains("<memory unit='MiB'>512</memory>"), small.domainXML)
        // Two NICs: a second user-mode network of its own, a second virtio
        // NIC, and the seed configuring it by MAC without a gateway.
        let two = try plan("two-nics.yaml")
        XCTAssertTrue(two.domainXML.contains("id=ignet1,restrict=on,net=10.78.0.0/24,host=10.78.0.1,dhcpstart=10.78.0.90"), two.domainXML)
        XCTAssertTrue(two.domainXML.contains("virtio-net-pci,netdev=ignet1,mac=52:54:00:3a:90:02,bus=pci.0,addr=0x11"), two.domainXML)
        XCTAssertTrue(two.domainXML.contains("virtio-net-pci,netdev=ignet0,mac=52:54:00:3a:90:01,bus=pci.0,addr=0x10"), two.domainXML)
        let twoSeed = CloudInitSeed(instance: two.instance, sshPublicKey: "k").networkConfig
        XCTAssertTrue(twoSeed.contains("  eth1:\n    match:\n      macaddress: \"52:54:00:3a:90:02\"\n    set-name: eth1\n    dhcp4: false\n    addresses: [10.78.0.90/24]\n"), twoSeed)
        XCTAssertEqual(twoSeed.components(separatedBy: "gateway4").count, 2, "one gateway, eth0's")
        // Written back for a bundle, it reads the same.
        let reread = try Scenario.parse(try Scenario.load(path: dir + "/two-nics.yaml").yaml(profile: nil), source: "bundle")
        XCTAssertEqual(reread.instances[0].extraNICs, two.instance.extraNICs)

        let other = try plan("other-mac-prefix.yaml")
        XCTAssertTrue(other.domainXML.contains("fa:16:3e:5c:80:01"))
        XCTAssertTrue(CloudInitSeed(instance: other.instance, sshPublicKey: "k").networkConfig.contains("fa:16:3e:5c:80:01"))
    }

    func assertRejected(_ yaml: String, _ expected: String, line: Int, file: StaticString = #filePath, testLine: UInt = #line) {
        XCTAssertThrowsError(try Scenario.parse(yaml, source: "s.yaml"), file: file, line: testLine) { error in
            XCTAssertTrue((error as? ImageGateError)?.isBadInput == true, "\(error)", file: file, line: testLine)
            XCTAssertTrue("\(error)".hasPrefix("s.yaml:\(line):"), "file:line in \(error)", file: file, line: testLine)
            XCTAssertTrue("\(error)".contains(expected), "'\(expected)' in \(error)", file: file, line: testLine)
        }
    }

    func testMalformedYAML() {
        assertRejected("name: x\ninstances:\n  - hostname: [a\n", "flow sequence", line: 4)
    }

    func testUnknownKeyIsAnError() {
        assertRejected("name: x\ninstances:\n  - hostname: a\n    colour: blue\n", "instances[0].colour: unknown key", line: 4)
        assertRejected("name: x\nimage_path: a.qcow2\ninstances:\n  - hostname: a\n", "image_path: unknown key", line: 2)
    }

    func testExtraNICsAreValidated() {
        let base = "name: s\ninstances:\n  - hostname: h\n    mac: \"52:54:00:00:00:01\"\n    ip: 10.77.0.20\n    gateway: 10.77.0.1\n    extra_nics:\n"
        assertRejected(base + "      - {mac: \"52:54:00:00:00:01\", ip: 10.78.0.2}\n", "another NIC's", line: 3)
        assertRejected(base + "      - {mac: \"52:54:00:00:00:02\", ip: 10.77.0.30}\n", "overlaps another NIC's network", line: 3)
        assertRejected(base + "      - {mac: \"52:54:00:00:00:02\", ip: 10.78.0.2, gateway: 10.78.0.1}\n", "unknown", line: 8)
        assertRejected(base + "      - {ip: 10.78.0.2}\n", "needs mac and ip", line: 8)
    }

    func testBadMAC() {
        assertRejected("name: x\ninstances:\n  - hostname: a\n    mac: 52:54:00:zz:00:01\n", "not a MAC address", line: 3)
    }

    func testBadIP() {
        assertRejected("name: x\ninstances:\n  - hostname: a\n    ip: 10.0.0.300\n", "ip '10.0.0.300' is not an IPv4 address", line: 3)
    }

    func testUnknownWaiverRule() {
        assertRejected("name: x\ninstances:\n  - hostname: a\nwaivers:\n  - rule: LNX-NOPE\n    reason: r\n", "unknown rule ID 'LNX-NOPE'", line: 5)
    }

    /// A profile's waivers are held to the one catalogue a scenario's are:
    /// a static or boot rule is accepted, anything else is bad input
    /// naming the file and the waiver.
    func testAProfileWaiverNamesARuleOfTheCatalogue() throws {
        let profile = try PlatformProfile.parse("waivers:\n  - {rule: BOOT-AUDITD, reason: r}\n  - {rule: LNX-NO-SWAP, reason: r}\n", source: "p.yaml")
        XCTAssertEqual(profile.waivers.map(\.rule), ["BOOT-AUDITD", "LNX-NO-SWAP"])
        XCTAssertThrowsError(try PlatformProfile.parse("waivers:\n  - {rule: LNX-NO-SWAP, reason: r}\n  - {rule: \"BOOT-NOPE\\e[2J\", reason: r}\n",
                                                       source: "p.yaml")) { error in
            XCTAssertEqual(ImageGateError.code(of: error), .badInput)
            XCTAssertEqual("\(error)", "p.yaml: waivers[1].rule: unknown rule ID 'BOOT-NOPE\\u{1B}[2J'")
        }
    }

    func testExpiredWaiverStopsCounting() throws {
        let scenario = try Scenario.parse("name: x\ninstances:\n  - hostname: a\nwaivers:\n  - rule: LNX-NO-SWAP\n    reason: r\n    expires: 2020-01-31\n", source: "s.yaml")
        let waiver = try XCTUnwrap(scenario.waivers.first)
        XCTAssertTrue(waiver.isActive(on: Scenario.day("2020-01-31")))
        XCTAssertFalse(waiver.isActive(on: Scenario.day("2020-02-01")))
    }
}

extension Scenario {
    static func day(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text + " 12:00")!
    }
}

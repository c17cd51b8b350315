import Foundation
import Guestfs
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import TestSupport
import XCTest

/// Windows images: the hive generator the fixture build uses, libguestfs's
/// inspection of the fixture it builds, and every static WIN rule on the
/// conformant fixture and on the variant that breaks it.
final class WindowsTests: XCTestCase {
    /// `empty-hive.py` writes a hive hivex opens and extends; values of
    /// each registry type merged into it come back as they went in.
    func testTheHiveGeneratorWritesAHiveHivexOpensAndValuesRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "hive-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let generator = FixtureManifest.packageRoot + "/Fixtures/windows/empty-hive.py"
        let made = try Shell.run("python3", [generator, dir + "/SOFTWARE"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/SOFTWARE"))
        XCTAssertEqual(bytes.count, 8192, "a base block and one hive bin")
        XCTAssertEqual(String(decoding: bytes.prefix(4), as: UTF8.self), "regf")
        XCTAssertEqual(String(decoding: bytes[4096..<4100], as: UTF8.self), "hbin")
        // The header checksum: XOR of the first 127 dwords.
        let dwords = (0..<128).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i * 4 + $1]) << (8 * $1) } }
        XCTAssertEqual(dwords[..<127].reduce(0, ^), dwords[127])

        let reg = """
            Windows Registry Editor Version 5.00

            [HKEY_LOCAL_MACHINE\\SOFTWARE\\ImageGate]

            [HKEY_LOCAL_MACHINE\\SOFTWARE\\ImageGate\\Test]
            "Text"=hex(1):57,00,69,00,6e,00,64,00,6f,00,77,00,73,00,20,00,53,00,65,00,72,00,76,00,65,00,72,00,20,00,32,00,30,00,31,00,39,00,20,00,70,65,6e,63,2d,4e,c3,5f,48,72,00,00
            "Expand"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,25,00,00,00
            "Count"=dword:0000000a
            "Big"=hex(b):08,07,06,05,04,03,02,01
            "Blob"=hex:01,02,fe,ff
            "List"=hex(7):61,00,00,00,62,00,00,00,00,00

            """
        try reg.write(toFile: dir + "/values.reg", atomically: true, encoding: .utf8)
        let merged = try Shell.run("hivexregedit", ["--merge", "--prefix", "HKEY_LOCAL_MACHINE\\SOFTWARE", dir + "/SOFTWARE", dir + "/values.reg"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let exported = try Shell.run("hivexregedit", ["--export", "--prefix", "HKEY_LOCAL_MACHINE\\SOFTWARE", dir + "/SOFTWARE", "\\ImageGate\\Test"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let values = Dictionary(uniqueKeysWithValues: exported.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0].hasPrefix("\"") ? (String(parts[0].dropFirst().dropLast()), String(parts[1])) : nil
        })
        XCTAssertEqual(values["Count"], "dword:0000000a")
        XCTAssertEqual(values["Blob"], "hex(3):01,02,fe,ff")
        XCTAssertEqual(values["Big"], "hex(b):08,07,06,05,04,03,02,01")
        // Strings come back as their UTF-16LE bytes (the Chinese text went
        // in as bytes too: hivexregedit reads a .reg file as Latin-1), decoded
        // as ImageGate decodes them.
        func exportedBytes(_ exported: String?) -> [UInt8] {
            (exported ?? "").split(separator: ":").last.map { $0.split(separator: ",").compactMap { UInt8($0, radix: 16) } } ?? []
        }
        XCTAssertEqual(RegistryValue(type: 1, bytes: exportedBytes(values["Text"])), .string("Windows Server 2019 数据中心版"))
        XCTAssertEqual(RegistryValue(type: 2, bytes: exportedBytes(values["Expand"])), .expandString("%SystemRoot%"))
        XCTAssertEqual(RegistryValue(type: 7, bytes: exportedBytes(values["List"])), .multiString(["a", "b"]))
        XCTAssertEqual(RegistryValue(type: 11, bytes: exportedBytes(values["Big"])), .qword(0x0102030405060708))
        XCTAssertEqual(RegistryValue(type: 4, bytes: [10, 0, 0, 0]), .dword(10))
        XCTAssertEqual(RegistryValue(type: 5, bytes: [0, 0, 0, 10]), .dword(10), "REG_DWORD_BIG_ENDIAN")
    }

    /// The SAM's account-domain F value: the lockout threshold is the u16
    /// at 0x54; a value too short for it is not guessed.
    func testTheLockoutThresholdIsReadAtItsDocumentedOffset() {
        var f = [UInt8](repeating: 0, count: 0x68)
        f[0x54] = 0x05
        f[0x55] = 0x01
        XCTAssertEqual(WindowsAccessRules.lockoutThreshold(f), 0x0105)
        XCTAssertNil(WindowsAccessRules.lockoutThreshold(Array(f.prefix(0x55))))
        XCTAssertEqual(WindowsDriverRules.release(of: "100.92.104.22900"), "0.1.229")
        XCTAssertEqual(WindowsDriverRules.driverFile("\\SystemRoot\\System32\\drivers\\viostor.sys", name: "viostor", systemRoot: "/Windows"),
                       "/Windows/System32/drivers/viostor.sys")
        XCTAssertEqual(WindowsDriverRules.driverFile(nil, name: "netkvm", systemRoot: "/WINDOWS"), "/WINDOWS/System32/drivers/netkvm.sys")
    }

    /// The conformant Windows fixture, every Windows variant and the
    /// conformant Linux fixture in one appliance (``StaticBatch``): libguestfs
    /// recognises Windows Server 2019; the conformant image passes every
    /// static WIN rule; each variant fails or warns exactly its rule, with
    /// the evidence defects.yaml names; no Linux image gets a WIN finding
    /// and no Windows image an LNX or SEC one.
    func testEveryStaticWindowsRuleHoldsOnTheConformantFixtureAndFailsOnItsVariant() async throws {
        let manifest = try FixtureManifest.load()
        let profile = try PlatformProfile.parse(manifest.windowsProfile, source: "defects.yaml windows_profile")
        let accelerator = try await Appliance.localAccelerator()
        let inspector = StaticInspector(profile: profile, accelerator: accelerator)
        let names = [manifest.windowsConformant.replacingOccurrences(of: ".qcow2", with: "")] + manifest.windowsVariants.map(\.name)
            + [manifest.conformant.replacingOccurrences(of: ".qcow2", with: "")]
        // The variants as the overlays they are (``FixtureManifest/described``).
        let items = try names.map { StaticBatch.Item(image: try FixtureManifest.described($0), inspector: inspector) }
        var batch = StaticBatch(accelerator: accelerator)
        let alone = LockedLines()
        batch.progress = { alone.add("\(names[$0]): \($1)") }
        let results = try await batch.inspect(items, appliancesAtOnce: ProcessInfo.processInfo.activeProcessorCount).map { try $0.get() }
        XCTAssertEqual(alone.lines, [], "every image was judged in a shared appliance")

        let windows = results[0]
        XCTAssertEqual(windows.facts.family, "windows")
        XCTAssertEqual(windows.facts.productName, "Windows Server 2019 Datacenter")
        XCTAssertEqual(windows.facts.majorVersion, 10)
        XCTAssertEqual(windows.facts.windows?.productVariant, "Server")
        XCTAssertEqual(windows.facts.windows?.currentControlSet, "ControlSet001", "from Select\\Current, not ControlSet002")
        XCTAssertEqual(windows.facts.windows?.systemDevice, "/dev/sda2", "C: from MountedDevices, named as if alone")
        let expectedOutcome: [String: Outcome] = ["WIN-BOOTSCRIPT": .notApplicable, "WIN-PATCHES": .info]
        for finding in windows.findings where finding.rule.hasPrefix("WIN-") {
            if manifest.windowsConformantUnchecked.contains(finding.rule) {
                XCTAssertEqual(finding.outcome, .couldNotCheck, finding.rule)
            } else {
                XCTAssertEqual(finding.outcome, expectedOutcome[finding.rule] ?? .pass, "\(finding.rule): \(finding.found) \(finding.evidence)")
            }
        }
        XCTAssertEqual(Set(windows.findings.map(\.rule)), Set((RuleCatalogue.image + RuleCatalogue.windows).map(\.id)),
                       "a Windows image is judged by IMG and WIN rules only")
        let patches = try XCTUnwrap(windows.findings.first { $0.rule == "WIN-PATCHES" })
        XCTAssertTrue(patches.evidence.contains { $0.text.contains("Package_for_KB5005112") }, "\(patches.evidence)")

        for (variant, result) in zip(manifest.windowsVariants, results[1...]) {
            let broken = Set(variant.fails + (variant.warns ?? []))
            for finding in result.findings where finding.rule.hasPrefix("WIN-") {
                if variant.fails.contains(finding.rule) {
                    XCTAssertEqual(finding.outcome, .fail, "\(variant.name) \(finding.rule): \(finding.found)")
                } else if variant.warns?.contains(finding.rule) ?? false {
                    XCTAssertEqual(finding.outcome, .warning, "\(variant.name) \(finding.rule): \(finding.found)")
                } else {
                    XCTAssertFalse([.fail, .warning].contains(finding.outcome),
                                   "\(variant.name): only \(broken.sorted()) is broken, but \(finding.rule) \(finding.outcome): \(finding.found) \(finding.evidence)")
                }
                if broken.contains(finding.rule) {
                    XCTAssertTrue(finding.evidence.contains { $0.description.contains(variant.evidence) },
                                  "\(variant.name) \(finding.rule): no '\(variant.evidence)' in \(finding.evidence)")
                    XCTAssertNotNil(finding.fix, "\(variant.name) \(finding.rule) says how to fix it")
                }
            }
            XCTAssertFalse(result.findings.contains { $0.rule.hasPrefix("LNX-") || $0.rule.hasPrefix("SEC-") }, variant.name)
        }

        let linux = try XCTUnwrap(results.last)
        XCTAssertEqual(linux.facts.family, "linux")
        XCTAssertFalse(linux.findings.contains { $0.rule.hasPrefix("WIN-") }, "a Linux image never reports a WIN finding")
        XCTAssertEqual(linux.findings.filter(\.isFailure).map(\.rule), [], "the Linux neighbour is judged as if alone")
    }

    /// `imagegate check` on the Windows fixture with the Windows scenario:
    /// the static phase runs, the boot phase is reported as not run, no
    /// Linux boot rule appears, and the verdict is INCOMPLETE (WIN-NO-DYNAMIC-ID
    /// needs a boot), never PASS; in Chinese too.
    func testCheckReportsTheBootPhaseOfAWindowsImageAsNotRun() throws {
        let dir = NSTemporaryDirectory() + "windows-check-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Shell.run(FixtureManifest.packageRoot + "/.build/debug/imagegate", [
            "check", try FixtureManifest.image("windows2019-conformant"), "--scenario", FixtureManifest.packageRoot + "/Scenarios/windows.yaml",
            "--lang", "zh", "--json", dir + "/r.json", "--html", dir + "/r.html",
        ])
        XCTAssertEqual(run.status, 4, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("启动阶段: 未启动"), run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        XCTAssertEqual(json["verdict"] as? String, "incomplete")
        XCTAssertEqual((json["instances"] as? [Any])?.count, 0)
        let rules = ((json["findings"] as? [[String: Any]]) ?? []).compactMap { $0["rule"] as? String }
        XCTAssertFalse(rules.contains { $0.hasPrefix("BOOT-") || $0.hasPrefix("LNX-") }, "\(rules)")
        XCTAssertTrue(rules.contains("WIN-RDP"))
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        XCTAssertTrue(html.contains("class=\"boot-phase\"") && html.contains("远程桌面"), "the boot phase and the Chinese rule texts")
    }
}

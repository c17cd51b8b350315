import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateInspection
import TestSupport
import XCTest
import Yams

/// Every rule of every catalogue is covered: its texts in both languages
/// (its declaration cannot compile without them; checked non-empty in
/// VerdictTests), a test that names it, and a fixture that breaks it — or,
/// for either of the last two, an entry here saying why not. A rule added
/// without these fails this test.
final class RuleCoverageTests: XCTestCase {
    /// Rules no fixture breaks, and why.
    static let noFixture: [String: String] = [
        "IMG-OS": "judged on crafted disks (no OS, two OSes, an unknown one), not on a variant of the Debian image",
        "LNX-DISK-MIN": "the fixtures are 20 GiB; a smaller disk is judged on facts in the unit tests",
        "LNX-FORMAT": "the fixtures are qcow2; another format is judged on facts in the unit tests",
        "LNX-NET-FAILOVER": "applies to fast-tier images only; judged on kernel facts in the unit tests",
        "LNX-NM-SERVER-CONF": "the Debian fixture does not use NetworkManager; judged in memory in the unit tests",
        "LNX-TZDATA-LEGACY": "applies to Ubuntu 24.04 only; judged on facts in the unit tests",
        "LNX-VIRTIO": "Debian's kernels carry virtio; judged on initramfs listings in the unit tests",
        "LNX-CLOUD-INIT-VENDOR": "could not be checked on any Debian fixture (conformant_unchecked): Debian has no platform build in the default profile",
        "LNX-MONITOR-AGENT": "could not be checked on any Debian fixture (conformant_unchecked): the default profile names no agent",
        "WIN-NO-DYNAMIC-ID": "needs a Windows boot, which ImageGate does not make: always could-not-check, saying so",
        "WIN-PATCHES": "an info rule listing installed updates: shown on the conformant Windows fixture",
        "BOOT-SERVICE-PORTS": "the fixtures declare no service; judged with a listener in the unit and remote tests",
        "BOOT-REINSTANCE": "judged across two instances of any image (the reinstance scenario on the conformant fixture)",
    ]

    /// Rules no test names, and why.
    static let noTestByName: [String: String] = Dictionary(uniqueKeysWithValues: [
        "WIN-BIOS-BOOT", "WIN-CLEANUP", "WIN-CLOUDBASE-CLEAN", "WIN-CLOUDBASE-INIT", "WIN-DISK-MIN", "WIN-FIREWALL",
        "WIN-LOCKOUT", "WIN-MONITOR-AGENT", "WIN-NO-DYNAMIC-ID", "WIN-PARTITIONS", "WIN-VIRTIO",
    ].map { ($0, "judged on the Windows fixtures' hives in an appliance (WindowsTests, by the manifest's names); no in-memory registry case yet") })

    struct Defects: Decodable {
        struct Variant: Decodable {
            var fails: [String]?
            var warns: [String]?
            var unchecked: [String]?
            var boot_fails: [String]?
            var reboot_fails: [String]?

            var rules: [String] { [fails, warns, unchecked, boot_fails, reboot_fails].compactMap { $0 }.flatMap { $0 } }
        }
        var variants: [Variant]
        var windows_variants: [Variant]
    }

    var allIDs: [String] { RuleCatalogue.all.map(\.id) + BootRules.all.map(\.id) }

    func testEveryRuleIsBrokenByAFixtureOrSaysWhyNot() throws {
        let text = try String(contentsOfFile: PackageRoot.path + "/Fixtures/defects.yaml", encoding: .utf8)
        let defects = try YAMLDecoder().decode(Defects.self, from: text)
        let broken = Set((defects.variants + defects.windows_variants).flatMap(\.rules))
        for id in allIDs {
            XCTAssertTrue(broken.contains(id) || Self.noFixture[id] != nil, "\(id): no fixture breaks it, and noFixture does not say why")
            XCTAssertFalse(broken.contains(id) && Self.noFixture[id] != nil, "\(id): a fixture breaks it now; drop it from noFixture")
        }
        XCTAssertEqual(Set(Self.noFixture.keys).subtracting(allIDs), [], "noFixture names unknown rules")
    }

    func testEveryRuleIsNamedByATestOrSaysWhyNot() throws {
        let here = URL(fileURLWithPath: #filePath).lastPathComponent
        var sources = ""
        for folder in ["Tests/UnitTests", "Tests/ImageGateTests"] {
            let path = PackageRoot.path + "/" + folder
            for name in try FileManager.default.contentsOfDirectory(atPath: path) where name.hasSuffix(".swift") && name != here {
                sources += try String(contentsOfFile: path + "/" + name, encoding: .utf8)
            }
        }
        for id in allIDs {
            let named = sources.contains("\"\(id)\"")
            XCTAssertTrue(named || Self.noTestByName[id] != nil, "\(id): no test names it, and noTestByName does not say why")
            XCTAssertFalse(named && Self.noTestByName[id] != nil, "\(id): a test names it now; drop it from noTestByName")
        }
        XCTAssertEqual(Set(Self.noTestByName.keys).subtracting(allIDs), [], "noTestByName names unknown rules")
    }

    /// The vendor libraries offer exactly the per-boot BOOT rules: Swift
    /// Testing's arguments come from the catalogue; XCTest's test methods
    /// are written out (XCTest on Linux finds only declared methods), so
    /// their list is read from the source and compared.
    func testTheVendorLibrariesOfferEveryPerBootRule() throws {
        let catalogue = BootRules.catalogue.map(\.id)
        let source = try String(contentsOfFile: PackageRoot.path + "/Sources/ImageGateXCTest/FirstBootTestCase.swift", encoding: .utf8)
        let asserted = try NSRegularExpression(pattern: #"open func test\w+\(\) async throws \{ try await assertRule\("([A-Z-]+)"\) \}"#)
        let xctest = asserted.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap {
            Range($0.range(at: 1), in: source).map { String(source[$0]) }
        }
        XCTAssertEqual(xctest, catalogue, "FirstBootTestCase's test methods")
    }
}

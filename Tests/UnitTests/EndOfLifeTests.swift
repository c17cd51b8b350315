import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// SEC-EOL on a fixed day, from distro-info-data's tables (a copy of their
/// shape in a folder of the test's own) and the profile's table.
final class EndOfLifeTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "distro-info-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            version,codename,series,created,release,eol,eol-lts,eol-elts
            11,Bullseye,bullseye,2019-07-06,2021-08-14,2024-08-14,2026-08-31,2031-06-30
            12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,2028-06-30,2033-06-30
            13,Trixie,trixie,2023-06-10,2025-08-09,2028-08-09
            14,Forky,forky,2025-08-09

            """.write(toFile: folder + "/debian.csv", atomically: true, encoding: .utf8)
        try """
            version,codename,series,created,release,eol,eol-server,eol-esm
            22.04 LTS,Jammy Jellyfish,jammy,2021-10-14,2022-04-21,2027-06-01,2027-06-01,2032-04-21
            24.10,Oracular Oriole,oracular,2024-04-25,2024-10-10,2025-07-10

            """.write(toFile: folder + "/ubuntu.csv", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func judge(_ distro: String, _ major: Int, _ minor: Int = 0, on day: String, _ change: (inout EndOfLife) -> Void = { _ in }) async -> Finding {
        var facts = RuleTests.facts
        (facts.distro, facts.majorVersion, facts.minorVersion, facts.productName) = (distro, major, minor, "")
        var profile = PlatformProfile.default
        profile.endOfLife.distroInfo = folder
        change(&profile.endOfLife)
        return await SecurityRules.endOfLife.evaluate(RuleContext(fs: RuleTests.clean, facts: facts, profile: profile, now: EndOfLife.day(day)!))
    }

    func testDebianIsJudgedByItsLTSColumnAndTheHorizonWarns() async {
        let supported = await judge("debian", 12, 5, on: "2026-12-07")
        XCTAssertEqual(supported.outcome, .pass, supported.found)
        XCTAssertTrue(supported.found.contains("supported until 2028-06-30 (eol-lts), 571 days from 2026-12-07"), supported.found)
        XCTAssertEqual(supported.evidence.first?.line, 3)
        let near = await judge("debian", 12, on: "2028-05-01")
        XCTAssertEqual(near.outcome, .warning, near.found)
        XCTAssertTrue(near.found.contains("in 60 days"), near.found)
        let past = await judge("debian", 11, on: "2026-12-07")
        XCTAssertEqual(past.outcome, .fail)
        XCTAssertTrue(past.found.contains("reached its end of life (eol-lts) on 2026-08-31, 98 days before"), past.found)
        let standard = await judge("debian", 12, on: "2026-12-07") { $0.support["debian"] = "eol" }
        XCTAssertEqual(standard.outcome, .fail, "the profile picks the column: \(standard.found)")
        // No LTS column yet: the plain end counts; no end at all: could not check.
        let trixie = await judge("debian", 13, on: "2026-12-07")
        XCTAssertTrue(trixie.found.contains("2028-08-09 (eol)"), trixie.found)
        let forky = await judge("debian", 14, on: "2026-12-07")
        XCTAssertEqual(forky.outcome, .couldNotCheck)
        XCTAssertTrue(forky.found.contains("has no eol-lts date yet"), forky.found)
    }

    func testUbuntuMatchesItsYearAndMonth() async {
        let jammy = await judge("ubuntu", 22, 4, on: "2026-12-07")
        XCTAssertEqual(jammy.outcome, .pass, jammy.found)
        let oracular = await judge("ubuntu", 24, 10, on: "2026-12-07")
        XCTAssertEqual(oracular.outcome, .fail, oracular.found)
        let unknown = await judge("ubuntu", 26, 4, on: "2026-12-07")
        XCTAssertEqual(unknown.outcome, .couldNotCheck)
        XCTAssertTrue(unknown.found.contains("no row for ubuntu 26.4"), unknown.found)
    }

    func testTheRPMFamiliesComeFromTheProfile() async {
        let rocky = await judge("rocky", 9, 4, on: "2026-12-07")
        XCTAssertEqual(rocky.outcome, .pass, rocky.found)
        XCTAssertEqual(rocky.evidence.first?.path, "platform profile")
        let centos = await judge("centos", 7, on: "2026-12-07")
        XCTAssertEqual(centos.outcome, .fail)
        let fedora = await judge("fedora", 40, on: "2026-12-07")
        XCTAssertEqual(fedora.outcome, .couldNotCheck)
        XCTAssertTrue(fedora.found.contains("give the profile's end_of_life.dates one"), fedora.found)
        let noTables = await judge("debian", 12, on: "2026-12-07") { $0.distroInfo = "/nonexistent" }
        XCTAssertTrue(noTables.found.contains("distro-info-data package is not installed"), noTables.found)
    }
}

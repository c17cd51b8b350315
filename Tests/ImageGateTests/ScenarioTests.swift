import ImageGate
import XCTest

final class ScenarioTests: XCTestCase {
    func testEveryShippedScenarioLoads() throws {
        let dir = FixtureManifest.packageRoot + "/Scenarios"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files, ["default-linux.yaml", "dhcp.yaml", "one-vcpu.yaml", "reinstance.yaml", "service-ports.yaml", "windows.yaml"])
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
    }

    func assertRejected(_ yaml: String, _ expected: String, line: Int, file: StaticString = #filePath, testLine: UInt = #line) {
        XCTAssertThrowsError(try Scenario.parse(yaml, source: "s.yaml"), file: file, line: testLine) { error in
            XCTAssertTrue(error is InputError, "\(error)", file: file, line: testLine)
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

    func testBadMAC() {
        assertRejected("name: x\ninstances:\n  - hostname: a\n    mac: 52:54:00:zz:00:01\n", "not a MAC address", line: 3)
    }

    func testBadIP() {
        assertRejected("name: x\ninstances:\n  - hostname: a\n    ip: 10.0.0.300\n", "ip '10.0.0.300' is not an IPv4 address", line: 3)
    }

    func testUnknownWaiverRule() {
        assertRejected("name: x\ninstances:\n  - hostname: a\nwaivers:\n  - rule: LNX-NOPE\n    reason: r\n", "unknown rule ID 'LNX-NOPE'", line: 5)
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

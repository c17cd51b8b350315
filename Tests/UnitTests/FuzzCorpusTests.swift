import Foundation
import TestSupport
import ImageGate
import XCTest

/// The fuzzers' seed corpus (`make fuzz`), made from inputs the other tests
/// use, one folder per target under `.build/fuzz-corpus` — and each seed
/// run through its parser here, so a seed that breaks one fails `make test`.
final class FuzzCorpusTests: XCTestCase {
    static var corpus: String { PackageRoot.path + "/.build/fuzz-corpus" }

    func testSeedsForEveryFuzzTargetParse() async throws {
        let scenarios = try FileManager.default.contentsOfDirectory(atPath: PackageRoot.path + "/Scenarios")
            .filter { $0.hasSuffix(".yaml") }
            .map { try Array(Data(contentsOf: URL(fileURLWithPath: PackageRoot.path + "/Scenarios/" + $0))) }
        let facts = #"{"hostname":"ig-1","interfaces":[],"routes":[],"mounts":[],"cloudInit":{"status":"done","errors":[]}}"#
        let seeds: [String: [[UInt8]]] = [
            "initramfs": [InitramfsArchiveTests.cpio([("init", "#!/bin/sh\n"), ("usr/lib/modules", "")])],
            "fstab": [Array("UUID=1111-aaaa / ext4 defaults 0 1\n/dev/vdb /data ext4 defaults,nofail 0 0\nPARTUUID=ab-02 /my\\040dir ext4 ro 0 0\n".utf8)],
            "os-release": [Array("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nNAME='A \\\"q\\\"'\n".utf8)],
            "dpkg-status": [Array("Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n\nPackage: held\nStatus: hold ok installed\nVersion: 4.4.3-P1-2\n".utf8)],
            "console": [Array(ConsoleLogTests.healthy.joined().utf8),
                        Array("\(GuestProbe.beginMarker) \(facts) \(GuestProbe.endMarker)\r\n".utf8)],
            "scenario": scenarios,
            "guest-facts": [Array(facts.utf8)],
        ]
        for (target, inputs) in seeds {
            let folder = Self.corpus + "/" + target
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, bytes) in inputs.enumerated() {
                try Data(bytes).write(to: URL(fileURLWithPath: folder + "/seed-\(index)"))
            }
            XCTAssertFalse(inputs.isEmpty, target)
        }
        // Each seed parses (what the fuzzer starts from is valid input).
        XCTAssertFalse(try InitramfsArchive.listPlain(seeds["initramfs"]![0]).names.isEmpty)
        XCTAssertEqual(Fstab(parsing: String(decoding: seeds["fstab"]![0], as: UTF8.self)).localMounts.count, 2)
        XCTAssertNotNil(OSRelease(parsing: String(decoding: seeds["os-release"]![0], as: UTF8.self)).identity(debianVersion: "12.5"))
        XCTAssertEqual(DpkgStatus.installedPackages(String(decoding: seeds["dpkg-status"]![0], as: UTF8.self)).count, 2)
        for scenario in scenarios { XCTAssertNoThrow(try Scenario.parse(String(decoding: scenario, as: UTF8.self), source: "seed")) }
    }
}

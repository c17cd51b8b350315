import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// The parts of remote hosts that need no host: naming hosts, judging
/// ports from a guest's socket table, the eviction order, the copied-back
/// overlay.
final class RemotePartsTests: XCTestCase {
    /// A VM's name says which machine's process owns it: untagged (local)
    /// or tagged with this machine's tag is ours to judge; another tag is not.
    func testAVMNameSaysWhichMachineOwnsIt() {
        for purpose in VMName.Purpose.allCases {
            let remote = VMName.make(purpose, remote: true)
            XCTAssertEqual(VMName.machineTag(of: remote), MachineTag.current, remote)
            XCTAssertTrue(VMName.isOwnedHere(remote))
            XCTAssertEqual(VMName.owner(of: remote), ProcessIdentity.current)
            XCTAssertTrue(VMName.remotePrefixes.contains { remote.hasPrefix($0) }, remote)
        }
        for local in [VMName.make(.boot), VMName.make("libvirt-test"), VMName.make(.probe)] {
            XCTAssertNil(VMName.machineTag(of: local), local)
            XCTAssertTrue(VMName.isOwnedHere(local))
        }
        XCTAssertEqual(VMName.machineTag(of: "imagegate-boot-0e0e0e0e-123.4-abcdef12"), "0e0e0e0e")
        XCTAssertFalse(VMName.isOwnedHere("imagegate-boot-0e0e0e0e-123.4-abcdef12"))
    }

    func testHostSpecsParseCapacityButLeaveQueryValuesAlone() throws {
        XCTAssertEqual(try HostSpec(parsing: "qemu+tcp://10.0.0.5/system=4"), HostSpec(uri: "qemu+tcp://10.0.0.5/system", capacity: 4))
        XCTAssertEqual(try HostSpec(parsing: "qemu+ssh://root@h/system?keyfile=k"), HostSpec(uri: "qemu+ssh://root@h/system?keyfile=k"))
        XCTAssertEqual(try HostSpec(parsing: "qemu+ssh://root@h/system?keyfile=k=2"), HostSpec(uri: "qemu+ssh://root@h/system?keyfile=k", capacity: 2))
        XCTAssertEqual(try HostSpec.list("qemu+tcp://a/system=2,qemu+tcp://b/system").map(\.capacity), [2, nil])
        for bad in ["qemu+tcp://a/system=0", "qemu+tcp://a/system=x", "/etc/passwd", "xen://a/", "qemu+tcp://a/sys tem"] {
            XCTAssertThrowsError(try HostSpec(parsing: bad), bad) { XCTAssertTrue(($0 as? ImageGateError)?.isBadInput == true, "\($0)") }
        }
        XCTAssertThrowsError(try HostSpec.list("qemu+tcp://a/system,qemu+tcp://a/system=2"))
    }

    /// What the probe's sed prints from a Debian guest's /proc/net/tcp and
    /// tcp6 (each LISTEN row's local address), and that it prints only
    /// LISTEN rows of real tables.
    func testServicePortsAreJudgedFromTheGuestsListeningSockets() throws {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
               1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
               2: 1400A8C0:0016 0100A8C0:D431 01 00000000:00000000 02:000A1B2C 00000000     0        0 3 4 0 20 4 30 10 -1
              sl  local_address                         remote_address                        st tx_queue rx_queue
               0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000
               1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000

            """
        let file = NSTemporaryDirectory() + "/proc-net-tcp-\(UUID().uuidString)"
        try table.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let sed = GuestProbe.script.split(separator: "\n").first { $0.contains("listeningTCP") }!
        let expression = String(sed[sed.range(of: "sed -n '")!.upperBound...].prefix { $0 != "'" })
        let printed = try Shell.run("sed", ["-n", expression, file])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let sockets = ListeningSockets(listening: printed.stdout)
        XCTAssertEqual(sockets.sockets.map(\.port), [22, 3306, 443, 8080], "established connections are not listening sockets")
        XCTAssertTrue(sockets.judge(port: 22).accepted)
        XCTAssertTrue(sockets.judge(port: 443).accepted, "IPv6 wildcard")
        XCTAssertFalse(sockets.judge(port: 3306).accepted, "127.0.0.1 only")
        XCTAssertTrue(sockets.judge(port: 3306).detail.contains("loopback only"))
        XCTAssertFalse(sockets.judge(port: 8080).accepted, "::1 only")
        XCTAssertFalse(sockets.judge(port: 5432).accepted)
        XCTAssertTrue(sockets.judge(port: 5432).detail.contains("nothing listens"))
        XCTAssertEqual(ListeningSockets(listening: "garbage ZZ:0016 0100007F:16 00000000:00161").sockets, [])
    }

    /// A manifest's `hosts:`: parsed as ``HostSpec``s; a bad one names
    /// the file, line and field.
    func testAManifestNamesItsHostsStrictly() throws {
        let dir = NSTemporaryDirectory() + "hosts-manifest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data().write(to: URL(fileURLWithPath: dir + "/a.qcow2"))
        let good = try QueueManifest.parse("""
            entries: [{image: a.qcow2, vendor: v, product: p}]
            hosts: [qemu+tcp://10.0.0.5/system=4, "qemu+ssh://root@h2/system?keyfile=k"]
            """, source: "q.yaml", base: dir)
        XCTAssertEqual(good.hosts, [HostSpec(uri: "qemu+tcp://10.0.0.5/system", capacity: 4), HostSpec(uri: "qemu+ssh://root@h2/system?keyfile=k")])
        XCTAssertThrowsError(try QueueManifest.parse("""
            entries: [{image: a.qcow2, vendor: v, product: p}]
            hosts:
              - qemu+tcp://10.0.0.5/system=many
            """, source: "q.yaml", base: dir)) { error in
            let message = (error as? ImageGateError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("q.yaml") && message.contains("hosts[0]") && message.contains("capacity"), message)
        }
    }

    func testLedgerEvictsLeastRecentlyUsedAndUnknownFirst() throws {
        let path = NSTemporaryDirectory() + "/ledger-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = CandidateLedger(path: path)
        ledger.touch("candidate-b", at: Date(timeIntervalSince1970: 200))
        ledger.touch("candidate-a", at: Date(timeIntervalSince1970: 100))
        ledger.touch("candidate-c", at: Date(timeIntervalSince1970: 300))
        XCTAssertEqual(ledger.leastRecentlyUsedFirst(["candidate-c", "candidate-x", "candidate-a", "candidate-b"]),
                       ["candidate-x", "candidate-a", "candidate-b", "candidate-c"])
        ledger.touch("candidate-a", at: Date(timeIntervalSince1970: 400))
        XCTAssertEqual(CandidateLedger(path: path).leastRecentlyUsedFirst(["candidate-a", "candidate-b"]), ["candidate-b", "candidate-a"])
    }

    /// A remote boot's overlay, copied back for the post-mortem, is made to
    /// rest on this machine's candidate: what the guest wrote reads back
    /// through it, and the rest is the candidate's. A copy that names an
    /// external data file (a host file, say) is refused before anything
    /// opens it.
    func testACopiedOverlayRestsOnTheLocalCandidateAndOneNamingADataFileIsRefused() async throws {
        let dir = NSTemporaryDirectory() + "overlay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func qemu(_ program: String, _ arguments: [String]) throws {
            let result = try Shell.run(program, arguments)
            XCTAssertEqual(result.status, 0, "\(program) \(arguments): \(result.stderr)")
        }
        // The candidate: 0x11 in its first MiB. The host's copy of it is gone.
        try qemu("qemu-img", ["create", "-q", "-f", "qcow2", dir + "/candidate.qcow2", "4M"])
        try qemu("qemu-io", ["-f", "qcow2", "-c", "write -P 0x11 0 1M", dir + "/candidate.qcow2"])
        try qemu("cp", [dir + "/candidate.qcow2", dir + "/on-host.qcow2"])
        try qemu("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", dir + "/on-host.qcow2", dir + "/overlay.qcow2"])
        try qemu("qemu-io", ["-f", "qcow2", "-c", "write -P 0x22 0 64k", dir + "/overlay.qcow2"])
        try FileManager.default.removeItem(atPath: dir + "/on-host.qcow2")

        let candidate = try await ImageFile.validate(dir + "/candidate.qcow2")
        try await RemoteOverlay.adopt(dir + "/overlay.qcow2", backing: candidate)
        let info = try Shell.run("qemu-img", ["info", "-U", "--output=json", dir + "/overlay.qcow2"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any], info.stderr)
        XCTAssertEqual(json["backing-filename"] as? String, candidate.accessPath)
        try qemu("qemu-io", ["-r", "-f", "qcow2", "-c", "read -P 0x22 0 64k", "-c", "read -P 0x11 64k 960k", dir + "/overlay.qcow2"])

        // An overlay whose header names an external data file.
        try "not a disk\n".write(toFile: dir + "/host-file", atomically: true, encoding: .utf8)
        try qemu("qemu-img", ["create", "-q", "-f", "qcow2", "-o", "data_file=\(dir)/host-file", dir + "/hostile.qcow2", "4M"])
        do {
            try await RemoteOverlay.adopt(dir + "/hostile.qcow2", backing: candidate)
            XCTFail("an overlay naming a data file was adopted")
        } catch {
            XCTAssertTrue("\(error)".contains("external data file"), "\(error)")
        }
    }
}

import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
@testable import ImageGateQueue
import ImageGateXCTest
import Libvirt
import TestSupport
import XCTest

/// Boots on remote libvirt hosts: two real libvirtd, each in a network and
/// mount namespace of its own (scripts/test-libvirt-host.sh), reached over
/// qemu+tcp on a veth pair. They share nothing with this process but the
/// network (this machine's /root, /tmp, /work and the state folder are
/// empty to them), so a local path leaking into a domain or a volume
/// would fail the boot.
final class RemoteHostTests: XCTestCase {
    static let script = FileManager.default.currentDirectoryPath + "/scripts/test-libvirt-host.sh"
    /// Started by the first test that needs them, stopped after the last.
    static let started = StartedHosts()

    actor StartedHosts {
        var uris: [String]?
        func start() async throws -> [String] {
            if let uris { return uris }
            var started: [String] = []
            for n in [1, 2] {
                let result = try await RemoteHostTests.host("start", n)
                guard result.status == 0 else {
                    XCTFail("test libvirt host \(n) did not start: \(result.stderr)")
                    throw XCTSkip("no test hosts")
                }
                started.append(result.text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            uris = started
            return started
        }
    }

    /// `scripts/test-libvirt-host.sh ACTION N` (start, stop or kill).
    static func host(_ action: String, _ n: Int) async throws -> BoundedProcess.Output {
        try await BoundedProcess.run("bash", [script, action, "\(n)"], timeout: .seconds(90))
    }

    override class func tearDown() {
        // Synchronous here: the namespaces go, with every process in them.
        for n in [1, 2] {
            let stop = Process()
            stop.executableURL = URL(fileURLWithPath: script)
            stop.arguments = ["stop", "\(n)"]
            try? stop.run()
            stop.waitUntilExit()
        }
        super.tearDown()
    }

    func hosts() async throws -> [String] {
        try await Self.started.start()
    }

    func boot(_ image: String, on uri: String?, postMortem: BootOptions.PostMortemWhen = .never, ports: [Int] = []) async throws -> BootResult {
        var request = BootRequest(instance: .fresh())
        request.hardware.cpus = TestHardware.cpus
        request.options.postMortem = postMortem
        request.servicePorts = ports
        let configured = request
        return try await LibvirtHost.with(uri) { host in try await configured.run(try await ImageFile.validate(image), on: host) }
    }

    func volumes(on uri: String) async throws -> [String] {
        try await Connection.withConnection(uri) { connection in
            try await connection.storagePool(named: "imagegate")?.volumes().map(\.name) ?? []
        }
    }

    func outcomes(_ result: BootResult) -> [String: String] {
        Dictionary(uniqueKeysWithValues: result.findings.map { ($0.rule, "\($0.outcome)") })
    }

    /// A boot-defect fixture judged the same on a remote host as by the
    /// embedded driver; the first remote boot uploads the candidate, the
    /// second uploads nothing (the cached volume's digest verified), a third
    /// after the cached bytes were changed uploads it again; a run leaves no
    /// volume of its own and no domain behind.
    func testBootDefectSameVerdictRemotelyAndSecondBootUploadsNothing() async throws {
        let uri = try await hosts()[0]
        try await FixtureManifest.withCandidate("init-missing") { image in
            let digest = try FileDigest.sha256(image)
            // Not cached there by an earlier test.
            try await Connection.withConnection(uri) { try await $0.storagePool(named: "imagegate")?.volume(named: "candidate-" + digest)?.delete() }
            let embedded = try await boot(image, on: nil)
            let first = try await boot(image, on: uri)
            XCTAssertEqual(outcomes(first), outcomes(embedded), "remote and embedded verdicts differ")
            XCTAssertEqual(first.finding("BOOT-NO-PANIC")?.outcome, .fail)
            XCTAssertTrue(first.finding("BOOT-NO-PANIC")!.evidence.contains { $0.text.contains("Kernel panic") })
            let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: image)[.size] as? NSNumber).int64Value
            XCTAssertEqual(first.plan.placement.remote?.uploadedBytes, size, "the first boot on the host uploads the candidate")
            XCTAssertTrue(first.plan.domainXML.contains("/var/lib/imagegate/pool/"), "disks are the host's volumes")
            XCTAssertFalse(first.plan.domainXML.contains(first.plan.directory), "no local path in a remote domain")

            let second = try await boot(image, on: uri)
            XCTAssertEqual(second.plan.placement.remote?.uploadedBytes, 0, "the second boot uploads nothing")
            XCTAssertEqual(outcomes(second), outcomes(embedded))

            // The cached candidate's bytes changed behind libvirt's back (on
            // the host's own file, from this machine, where the test host's
            // folders are): its digest no longer matches, so it is not
            // reused but uploaded again.
            let cached = try XCTUnwrap(FileHandle(forUpdatingAtPath: "/var/lib/imagegate-test-hosts/h1/imagegate/pool/candidate-\(digest)"))
            try cached.seek(toOffset: 4096)
            try cached.write(contentsOf: Data("X".utf8))
            try cached.close()
            let third = try await boot(image, on: uri)
            XCTAssertEqual(third.plan.placement.remote?.uploadedBytes, size, "a tampered cached candidate must be uploaded again")
            XCTAssertEqual(outcomes(third), outcomes(embedded))

            // The cached candidate stays (beside what other tests cached), no run volume does.
            let left = try await volumes(on: uri)
            XCTAssertTrue(left.contains("candidate-" + digest), "\(left)")
            XCTAssertEqual(left.filter { !$0.hasPrefix("candidate-") }, [], "only cached candidates stay")
            let domains = try await Connection.withConnection(uri) { try await $0.domains(prefix: "imagegate-").count }
            XCTAssertEqual(domains, 0)
        }
    }

    /// Under the pool's cap, caching a new candidate evicts the least
    /// recently used one; a candidate a run still holds (its lease, upload
    /// or overlay names it) is never evicted (then the new one is refused,
    /// saying why); one larger than the cap is refused outright.
    func testAFullPoolEvictsTheLeastRecentlyUsedCandidateButNotOneInUse() async throws {
        let uri = try await hosts()[0]
        let state = StateDirectory(path: NSTemporaryDirectory() + "pool-state-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        try await FixtureManifest.withCandidate("init-missing") { bigPath in
            let big = try await ImageFile.validate(bigPath), small = try await ImageFile.validate(try FixtureManifest.image("debian12-conformant"))
            let bigDigest = try FileDigest.sha256(bigPath), smallDigest = try FileDigest.sha256(small.path)
            let holder = VMName.make(.boot, remote: true), newcomer = VMName.make(.boot, remote: true)
            try await Connection.withConnection(uri) { connection in
                if let pool = try await connection.storagePool(named: "imagegate") {
                    for volume in try await pool.volumes() where volume.name.hasPrefix("candidate-") { try await volume.delete() }
                }
                // A cap either candidate fits under alone, but not the two together.
                let sizes = [try RemoteVolumeStore.fileSize(small.path), try RemoteVolumeStore.fileSize(bigPath)]
                var settings = RemotePoolSettings()
                settings.capBytes = sizes.max()! + sizes.min()! / 2
                let pool = RemoteVolumeStore(connection: connection, settings: settings, state: state)
                let first = try await pool.candidate(small, sha256: smallDigest, vm: holder)
                XCTAssertGreaterThan(first.uploadedBytes, 0)
                do {
                    _ = try await pool.candidate(big, sha256: bigDigest, vm: newcomer)
                    XCTFail("a candidate in use was evicted, or the cap ignored")
                } catch {
                    XCTAssertTrue("\(error)".contains("no room for the candidate"), "\(error)")
                }
                // The holder's run ends: no longer in use, evicted, least recently used first.
                try await pool.deleteRunVolumes(vm: holder)
                let second = try await pool.candidate(big, sha256: bigDigest, vm: newcomer)
                XCTAssertGreaterThan(second.uploadedBytes, 0)
                try await pool.deleteRunVolumes(vm: newcomer)
                let names = try await connection.storagePool(named: "imagegate")!.volumes().map(\.name)
                XCTAssertEqual(names.filter { $0.hasPrefix("candidate-") }, ["candidate-" + bigDigest])
                // Larger than the cap itself.
                settings.capBytes = sizes[0] - 1
                do {
                    _ = try await RemoteVolumeStore(connection: connection, settings: settings, state: state).candidate(small, sha256: smallDigest, vm: holder)
                    XCTFail("a candidate larger than the cap was cached")
                } catch {
                    XCTAssertTrue("\(error)".contains("larger than the pool's cap"), "\(error)")
                }
                try await pool.deleteRunVolumes(vm: holder)
            }
        }
    }

    /// Two ImageGate processes boot one image on one host at once, its
    /// candidate cached there by neither: each boots on bytes it verified
    /// (its own upload, hashed as it was sent, or the published candidate,
    /// read back), neither deletes what the other is uploading, both see
    /// the same kernel panic, no run volume stays, and the published
    /// candidate holds the whole image, readable by its owner only.
    func testTwoProcessesUploadingOneCandidateAtOnceBothBootOnVerifiedBytes() async throws {
        let uri = try await hosts()[0]
        let binary = FileManager.default.currentDirectoryPath + "/.build/debug/imagegate"
        try await FixtureManifest.withCandidate("init-missing") { image in
            let digest = try FileDigest.sha256(image)
            try await Connection.withConnection(uri) { try await $0.storagePool(named: "imagegate")?.volume(named: "candidate-" + digest)?.delete() }
            async let first = Shell.runAsync(binary, ["boot", image, "--connect", uri])
            async let second = Shell.runAsync(binary, ["boot", image, "--connect", uri])
            for run in try await [first, second] {
                XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
                XCTAssertTrue(run.stdout.contains("BOOT-NO-PANIC"), run.stdout)
                XCTAssertTrue(run.stderr.contains("uploaded the candidate") || run.stderr.contains("digest verified"), run.stderr)
            }
            let cached = "/var/lib/imagegate-test-hosts/h1/imagegate/pool/candidate-\(digest)"
            XCTAssertEqual(try FileDigest.sha256(cached), digest, "the published candidate is the whole image")
            let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: cached)[.posixPermissions] as? NSNumber).intValue
            XCTAssertEqual(mode & 0o077, 0, "a candidate volume is its owner's alone")
            let left = try await volumes(on: uri)
            XCTAssertEqual(left.filter { !$0.hasPrefix("candidate-") }, [], "no run volume stays")
        }
    }

    /// A remote host is shared, and may be this machine's own: this
    /// machine's reaper ends its dead runs' boots and accelerator probes
    /// there, and leaves a VM another machine's tag names, however dead its
    /// owner's process ID looks here (the test hosts' QEMUs are in this
    /// machine's process table, as a fleet host's own ImageGate sees them).
    func testTheReaperEndsThisMachinesDeadVMsOnAHostAndLeavesAnothers() async throws {
        let uri = try await hosts()[0]
        let dead = "999999.1"
        let mine = VMName.remotePrefixes.map { $0 + "\(dead)-0badc0de" }
        let theirs = VMName.prefix + "boot-0e0e0e0e-\(dead)-0badc0de"
        XCTAssertNotEqual(MachineTag.current, "0e0e0e0e")
        let state = StateDirectory(path: NSTemporaryDirectory() + "reap-state-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: state.path) }
        try await LibvirtHost.with(uri) { host in
            for name in mine + [theirs] {
                // Paused before its first instruction: a name and a QEMU, no work.
                _ = try await host.start(xml: """
                    <domain type='qemu'><name>\(name)</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
                    <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>
                    """, paused: true)
            }
            let reaped = try await LeftoverReaper(state: state).reap(site: host.site)
            for name in mine { XCTAssertTrue(reaped.contains { $0.hasSuffix(" " + name) || $0.hasSuffix(" of " + name) }, "\(name) not reaped: \(reaped)") }
            XCTAssertFalse(reaped.contains { $0.contains(theirs) }, "another machine's VM was reaped: \(reaped)")
            var left: [String] = []
            for _ in 0..<50 {
                left = try await host.instances(prefix: VMName.prefix).map(\.name)
                if left == [theirs] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertEqual(left, [theirs])
            for vm in try await host.instances(prefix: theirs) { try await vm.destroy() }
        }
    }

    /// The conformant image on a remote host: every BOOT rule holds, the
    /// facts came over the console, and port 22 is judged from inside.
    /// What the guest wrote comes back with its overlay (post-mortem
    /// `always`): this boot's journal, and the hostname cloud-init set.
    func testConformantImagePassesRemotely() async throws {
        let uri = try await hosts()[1]
        let image = try FixtureManifest.image("debian12-conformant")
        let result = try await boot(image, on: uri, postMortem: .always, ports: [22])
        for finding in result.findings {
            XCTAssertTrue([.pass, .info, .notApplicable].contains(finding.outcome), "\(finding.rule): \(finding.outcome): \(finding.found)")
        }
        XCTAssertEqual(result.observation.facts?.channel, "serial console (ttyS0)")
        let port = try XCTUnwrap(result.servicePorts.first)
        XCTAssertTrue(port.accepted, port.detail)
        XCTAssertTrue(port.detail.hasPrefix("judged from inside the guest"), port.detail)

        let postMortem = try XCTUnwrap(result.postMortem)
        XCTAssertEqual(postMortem.problems, [])
        XCTAssertTrue(postMortem.journal.contains { $0.source == "cloud-init.service" || $0.message.contains("cloud-init") }, "this boot's journal")
        let hostname = try XCTUnwrap(postMortem.files.first { $0.path == "/etc/hostname" }, "\(postMortem.files.map(\.path))")
        XCTAssertEqual(hostname.text.trimmingCharacters(in: .whitespacesAndNewlines), result.plan.instance.hostname, "written during this boot")
        XCTAssertFalse(FileManager.default.fileExists(atPath: result.plan.directory), "the copied overlay went with the run folder")
    }

    /// A queue of two boot entries over the two hosts (one boot at a time
    /// each): each takes a host. Host 2's libvirtd is killed three seconds
    /// into its entry: that entry runs again on host 1 with the same
    /// verdict and says so, and the run records host 2 as unhealthy, as the
    /// dashboard shows. (How the queue moves entries, on fake hosts:
    /// `QueueAttemptTests`; this is a real libvirtd dropping a real boot.)
    func testAQueueSpreadsOverTheFleetAndMovesADroppedHostsEntry() async throws {
        let uris = try await hosts()
        let dir = NSTemporaryDirectory() + "fleet-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await FixtureManifest.withCandidate("init-missing") { image in
            let manifest = dir + "/queue.yaml"
            try """
                defaults: {vendor: acme}
                entries:
                  - {image: \(image), product: one}
                  - {image: \(image), product: two}
                hosts:
                  - \(uris[0])=1
                  - \(uris[1])=1
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            let loaded = try QueueManifest.load(path: manifest)
            XCTAssertEqual(loaded.hosts.map(\.uri), uris)
            let history = try QueueHistory(path: dir + "/history.sqlite")
            let local = try await LibvirtHost.connect()
            let (fleet, unreachable) = await Fleet.connect(loaded.hosts) { try await LibvirtHost.connect($0) }
            XCTAssertEqual(unreachable, [])
            var runner = QueueRunner(manifest: loaded, history: history, host: local)
            runner.fleet = fleet
            runner.jobs = await fleet.capacity
            // A remote boot's post-mortem is shown by the conformant test.
            runner.postMortem = .never
            let assignments = LockedLines()
            runner.assigned = { key, uri in
                assignments.add("\(key) \(uri)")
                guard uri == uris[1], assignments.lines.filter({ $0.hasSuffix(uris[1]) }).count == 1 else { return }
                Task { try await Task.sleep(for: .seconds(3)); _ = try await RemoteHostTests.host("kill", 2) }
            }
            let run = try await runner.run(resume: false)
            let entries = try history.entries(run: run.runID)
            XCTAssertEqual(entries.count, 2)
            for entry in entries {
                XCTAssertEqual(entry.verdict, .fail, "\(entry.key): \(entry.problem ?? "")")
                XCTAssertNil(entry.flakyFirstVerdict, "a dropped host is not a flaky image")
                let findings = try history.findings(entry: entry.id)
                XCTAssertEqual(findings.first { $0.rule == "BOOT-NO-PANIC" }?.outcome, "fail", entry.key)
            }
            XCTAssertEqual(Set(assignments.lines.map { String($0.split(separator: " ").last ?? "") }), Set(uris), "each host took an entry: \(assignments.lines)")
            XCTAssertEqual(entries.compactMap(\.host), [uris[0], uris[0]], "each result records the host that finished it")
            let moved = entries.filter { $0.problem?.contains("stopped answering mid-check") == true }
            XCTAssertEqual(moved.count, 1, "\(entries.map { "\($0.key) \($0.host ?? "-") \($0.problem ?? "")" })")
            XCTAssertEqual(moved.first?.host, uris[0], "the dropped entry ran again on host 1")
            XCTAssertTrue(moved.first?.problem?.contains(uris[1]) == true)
            let statuses = try XCTUnwrap(try history.run(run.runID)).hostStatuses
            XCTAssertEqual(statuses.first { $0.uri == uris[1] }?.healthy, false, "\(statuses)")
            XCTAssertEqual(statuses.first { $0.uri == uris[0] }?.healthy, true)
            XCTAssertEqual(statuses.map(\.checked).reduce(0, +), 2, "\(statuses)")
            let html = try QueueDashboard.render(history, run: run.runID, diff: try QueueDiff.compare(history, after: run.runID),
                                                 language: .english, linksFrom: dir)
            XCTAssertTrue(html.contains("UNHEALTHY: stopped answering during the run"), "the dashboard names the unhealthy host")
            XCTAssertTrue(html.contains("host: \(uris[0])"))
            // The queue's JSON report: the hosts as objects, as the dashboard shows them.
            let json = try QueueReport.json(history, run: run.runID, diff: try QueueDiff.compare(history, after: run.runID))
            let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let reported = try XCTUnwrap((document["run"] as? [String: Any])?["hosts"] as? [[String: Any]], json)
            XCTAssertEqual(Set(reported.compactMap { $0["uri"] as? String }), Set(uris))
            XCTAssertEqual(reported.first { $0["uri"] as? String == uris[1] }?["healthy"] as? Bool, false)
        }
        // Host 2 again for whatever runs after this test.
        let restarted = try await Self.host("start", 2)
        XCTAssertEqual(restarted.status, 0, restarted.stderr)
    }

    /// `imagegate hosts check`: both hosts described; an unreachable one
    /// (a closed loopback port) is named UNUSABLE and the exit code is 3;
    /// a malformed host is bad input.
    func testHostsCheckDescribesTheFleet() async throws {
        let uris = try await hosts()
        let binary = FileManager.default.currentDirectoryPath + "/.build/debug/imagegate"
        let ok = try await Shell.runAsync(binary, ["hosts", "check", uris[0] + "=3", uris[1]])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("\(uris[0]): ok"), ok.stdout)
        XCTAssertEqual(ok.stdout.components(separatedBy: "\n").filter { $0.range(of: #"^  libvirt \d+\.\d+\.\d+, QEMU \d+\.\d+\.\d+$"#, options: .regularExpression) != nil }.count,
                       2, "each host's versions: \(ok.stdout)")
        XCTAssertTrue(ok.stdout.contains("tcg: the hypervisor offers no kvm domain type"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("pool imagegate at /var/lib/imagegate/pool"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("capacity: 3 boot(s) at once"), ok.stdout)
        let down = try await Shell.runAsync(binary, ["hosts", "check", "qemu+tcp://127.0.0.1:1/system"])
        XCTAssertEqual(down.status, 3)
        XCTAssertTrue(down.stdout.contains("UNUSABLE"), down.stdout)
        let bad = try await Shell.runAsync(binary, ["hosts", "check", uris[0] + "=zero"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }
}

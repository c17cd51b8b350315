import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import Libvirt
import XCTest

final class LibvirtTests: XCTestCase {
    /// A connection closed at a visible point is closed: later calls on it
    /// fail with a clear error, a second close is harmless, and the
    /// embedded driver (started once per process) serves a new connection.
    func testAClosedConnectionIsClosedAndTheDriverOpensAgain() async throws {
        let first = try await LibvirtHost.connect()
        await first.connection.close()
        await first.connection.close()
        do {
            _ = try await first.connection.domains(prefix: VMName.prefix)
            XCTFail("a closed connection answered")
        } catch let error as LibvirtError {
            XCTAssertTrue(error.message.contains("is closed"), error.message)
        }
        let second = try await LibvirtHost.connect()
        let domains = try await second.connection.domains(prefix: "imagegate-nothing-")
        XCTAssertEqual(domains.count, 0)
        await second.connection.close()
    }

    func testEmbeddedConnectionBootsHostKernelAndDestroysIt() async throws {
        let kernel = try XCTUnwrap(ProbeVM.hostKernel(), "no readable kernel in /boot (make setup installs one)")
        let state = StateDirectory.default
        let host = try await LibvirtHost.connect(state: state)
        XCTAssertTrue(host.uri.hasPrefix("qemu:///embed?root=\(state.libvirtRoot)/"), host.uri)
        // What a night's investigation compares: this machine's libvirt, QEMU and kernel.
        let reported = await host.versions()
        let versions = try XCTUnwrap(reported)
        XCTAssertNotNil(versions.range(of: #"^libvirt \d+\.\d+\.\d+, QEMU \d+\.\d+\.\d+, kernel \S+$"#, options: .regularExpression), versions)
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(versions.hasSuffix("kernel \(release)"), versions)
        let choice = try await AcceleratorProbe(host: host, state: state).chooseOnce()

        let dir = try state.makeRunDirectory(prefix: "libvirt-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let boot = ProbeVM(name: VMName.make("libvirt-test"), accelerator: choice.accelerator,
                              kernel: kernel, consoleLog: dir + "/console.log")
        let domain = try await host.connection.createTransient(xml: boot.domainXML, paused: true)
        let pausedState = try await domain.state()
        XCTAssertEqual(pausedState, .paused)
        let liveXML = try await domain.xml()
        XCTAssertTrue(liveXML.contains("<name>\(boot.name)</name>"), liveXML)
        let listed = try await host.connection.domains(prefix: boot.name)
        XCTAssertEqual(listed.map(\.name), [boot.name])

        try await domain.resume()
        let log = try await Self.kernelOutput(boot)
        XCTAssertTrue(log.contains("Linux version"), "no kernel output on ttyS0 under \(choice.accelerator): \(log.suffix(500))")

        if try await domain.isRunning() { try await domain.destroy() }
        let gone = try await host.connection.lookup(name: boot.name)
        XCTAssertNil(gone, "the transient domain is still defined after destroy")
        // The handle outlives its domain (a guest that powered off, or one
        // on_crash destroyed): shut off, and destroying it again is harmless.
        let endedState = try await domain.state()
        XCTAssertEqual(endedState, .shutOff)
        try await domain.destroy()
    }

    /// Issue 15: libvirt validates its QEMU capabilities cache on every
    /// lookup; where KVM looks usable but its probe failed, each boot probed
    /// QEMU again (two 40 s kill timeouts where KVM hangs). Two boots on one
    /// state folder must leave the cache as the first wrote it, share it
    /// with every embedded root, and leave no zombie behind.
    func testSecondBootDoesNotReprobeQEMUAndLeavesNoZombie() async throws {
        let kernel = try XCTUnwrap(ProbeVM.hostKernel(), "no readable kernel in /boot (make setup installs one)")
        let state = StateDirectory.default
        let host = try await LibvirtHost.connect(state: state)
        let choice = try await AcceleratorProbe(host: host, state: state).chooseOnce()
        if choice.accelerator == .tcg, access("/dev/kvm", F_OK) == 0, geteuid() == 0 {
            XCTAssertTrue(KVMMask.isApplied, "TCG was chosen on a host offering /dev/kvm, but KVM is not masked: \(KVMMask.unavailableReason ?? "")")
            XCTAssertNotEqual(access("/dev/kvm", W_OK), 0, "the mask must make /dev/kvm unusable to libvirt's access() test")
        }
        let shared = state.libvirtRoot + "/capabilities"
        func cache() throws -> [String: Date] {
            let names = try FileManager.default.contentsOfDirectory(atPath: shared).filter { $0.hasSuffix(".xml") }
            return try Dictionary(uniqueKeysWithValues: names.map {
                ($0, try XCTUnwrap(FileManager.default.attributesOfItem(atPath: shared + "/" + $0)[.modificationDate] as? Date))
            })
        }
        func bootOnce(_ label: String) async throws {
            let dir = try state.makeRunDirectory(prefix: label)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let boot = ProbeVM(name: VMName.make(label), accelerator: choice.accelerator, kernel: kernel, consoleLog: dir + "/console.log")
            let domain = try await host.start(xml: boot.domainXML, paused: false)
            let log = try await Self.kernelOutput(boot)
            XCTAssertTrue(log.contains("Linux version"), "\(label): no kernel output")
            if try await domain.isRunning() { try await domain.destroy() }
        }
        try await bootOnce("reprobe-1")
        let first = try cache()
        XCTAssertFalse(first.isEmpty, "no QEMU capabilities cached in \(shared)")
        for root in try FileManager.default.contentsOfDirectory(atPath: state.libvirtRoot) where Int(root) != nil {
            let link = state.libvirtRoot + "/\(root)/cache/qemu/capabilities"
            XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: link), shared, "root \(root) keeps a cache of its own")
        }
        try await bootOnce("reprobe-2")
        XCTAssertEqual(try cache(), first, "the second boot re-probed QEMU: the capabilities cache was rewritten")

        // The sweep runs once a second; an orphan is reaped after three.
        func zombies() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(pid_t.init).compactMap { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return fields.count > 1 && fields[0] == "Z" && pid_t(fields[1]) == getpid() ? stat.prefix(upTo: close).description + ")" : nil
            }
        }
        let deadline = ContinuousClock.now + .seconds(6)
        while ContinuousClock.now < deadline, try !zombies().isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        XCTAssertEqual(try zombies(), [], "zombie children after two boots")
    }

    /// The console log once the kernel has printed its banner, or at the
    /// deadline (20 s, times the TCG multiplier).
    static func kernelOutput(_ boot: ProbeVM) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20 * boot.accelerator.timeoutMultiplier)
        var log = ""
        while ContinuousClock.now < deadline, !log.contains("Linux version") {
            try await Task.sleep(for: .milliseconds(100))
            log = (try? String(contentsOfFile: boot.consoleLog, encoding: .utf8)) ?? ""
        }
        return log
    }

    func testBadDomainXMLCarriesLibvirtsOwnMessage() async throws {
        let host = try await LibvirtHost.connect()
        do {
            _ = try await host.connection.createTransient(xml: "<domain type='qemu'><name>x</name", paused: true)
            XCTFail("malformed XML was accepted")
        } catch let error as LibvirtError {
            XCTAssertEqual(error.operation, "virDomainCreateXML")
            XCTAssertEqual(error.code, 35, "expected VIR_ERR_XML_DETAIL, got \(error)")
            XCTAssertTrue(error.message.contains("expected '>'"), "not libvirt's parser message: \(error.message)")
        }
    }

    func testOpeningAnUnknownURIFailsWithLibvirtError() async throws {
        do {
            _ = try await Connection.open("nosuchdriver:///nowhere")
            XCTFail("an unknown driver URI was accepted")
        } catch let error as LibvirtError {
            XCTAssertTrue(error.operation.hasPrefix("virConnectOpen"))
            XCTAssertFalse(error.message.isEmpty)
        }
    }
}

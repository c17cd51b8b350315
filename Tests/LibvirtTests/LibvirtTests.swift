import Foundation
import ImageGate
import Libvirt
import XCTest

final class LibvirtTests: XCTestCase {
    func testEmbeddedConnectionBootsHostKernelAndDestroysIt() async throws {
        let kernel = try XCTUnwrap(KernelBoot.hostKernel(), "no readable kernel in /boot (make setup installs one)")
        let state = StateDirectory.default
        let host = try await LibvirtHost.connect(state: state)
        XCTAssertTrue(host.uri.hasPrefix("qemu:///embed?root=\(state.libvirtRoot)/"), host.uri)
        let choice = try await AcceleratorProbe(host: host, state: state).chooseOnce()

        let dir = try state.makeRunDirectory(prefix: "libvirt-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let boot = KernelBoot(name: VMName.make("libvirt-test"), accelerator: choice.accelerator,
                              kernel: kernel, consoleLog: dir + "/console.log")
        let domain = try await host.connection.createTransient(xml: boot.domainXML, paused: true)
        let pausedState = try await domain.state()
        XCTAssertEqual(pausedState, .paused)
        let liveXML = try await domain.xml()
        XCTAssertTrue(liveXML.contains("<name>\(boot.name)</name>"), liveXML)
        let listed = try await host.connection.domains(prefix: boot.name)
        XCTAssertEqual(listed.map(\.name), [boot.name])

        try await domain.resume()
        let deadline = ContinuousClock.now + .seconds(20 * choice.accelerator.timeoutMultiplier)
        var log = ""
        while ContinuousClock.now < deadline, !log.contains("Linux version") {
            try await Task.sleep(for: .milliseconds(200))
            log = (try? String(contentsOfFile: boot.consoleLog, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(log.contains("Linux version"), "no kernel output on ttyS0 under \(choice.accelerator): \(log.suffix(500))")

        if try await domain.isRunning() { try await domain.destroy() }
        let gone = try await host.connection.lookup(name: boot.name)
        XCTAssertNil(gone, "the transient domain is still defined after destroy")
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

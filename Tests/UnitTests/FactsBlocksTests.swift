import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import XCTest

/// Only the block the probe of this run printed holds the facts: a block
/// the image prints itself (recorded from another boot, on the kernel
/// command line, from a boot sector, with the seed's nonce before
/// cloud-init finished) is a BOOT-CONSOLE failure naming the forgery, and
/// none of its facts is judged.
final class FactsBlocksTests: XCTestCase {
    static let nonce = "5eed0123456789abcdef0123456789ab"

    static func block(_ json: String) -> String {
        "\(GuestProbe.beginMarker) \(Data(json.utf8).base64EncodedString()) \(GuestProbe.endMarker)\r\n"
    }

    static func probe(nonce: String? = FactsBlocksTests.nonce, hostname: String = "ig-test") -> String {
        block(#"{\#(nonce.map { #""nonce":"\#($0)","# } ?? "")"hostname":"\#(hostname)","addresses":[],"routes":[],"auditd":"active","firewalld":"inactive","cloudInitStatus":{"status":"done","errors":[]}}"#)
    }

    static let finished = "[   60.1] cloud-init[600]: Cloud-init v. 22.4.2 finished at Fri, 27 Nov 2026 05:25:52 +0000. Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 60.02 seconds\r\n"
    static let kernel = "[    0.000000] Linux version 6.1.0-28-cloud-amd64\r\n"
    static let prompt = "\r\nig-test login: "

    func log(_ chunks: String...) -> ConsoleLog {
        var log = ConsoleLog()
        for (index, chunk) in chunks.enumerated() { log.feed(chunk, at: Double(index)) }
        return log
    }

    func consoleFinding(_ log: ConsoleLog, facts: GuestFacts?) -> Finding {
        var o = BootObservation(instance: BootRulesTests.instance, console: log, facts: facts, end: .factsReceived)
        o.factsBlocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
        return BootRules.evaluate(o).first { $0.rule == "BOOT-CONSOLE" }!
    }

    func testTheProbesBlockAfterCloudInitIsAccepted() throws {
        let log = log(Self.kernel, Self.finished, Self.probe(), Self.prompt)
        let blocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
        XCTAssertEqual(blocks.blocks.map(\.standing), [.accepted])
        XCTAssertEqual(blocks.facts?.hostname, "ig-test")
        XCTAssertEqual(blocks.probeLines, 3...3)
        XCTAssertEqual(consoleFinding(log, facts: blocks.facts).outcome, .pass)
    }

    /// A block recorded from a healthy boot, printed by a vendor unit at
    /// sysinit.target: no nonce, or another run's.
    func testARecordedBlockIsTheImagesAndFails() throws {
        for recorded in [Self.probe(nonce: nil, hostname: "mkt-vm-0001"), Self.probe(nonce: "0123", hostname: "mkt-vm-0001")] {
            let log = log(Self.kernel, recorded, Self.finished, Self.prompt)
            let blocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
            XCTAssertNil(blocks.facts, "a recorded block holds no facts")
            XCTAssertEqual(blocks.foreign.count, 1)
            let finding = consoleFinding(log, facts: nil)
            XCTAssertEqual(finding.outcome, .fail)
            XCTAssertTrue(finding.found.contains("printed ImageGate's facts markers itself"), finding.found)
            XCTAssertEqual(finding.evidence.first?.line, 2)
            XCTAssertEqual(finding.evidence.first?.origin, .guest)
        }
    }

    /// A unit that read the seed (and so the nonce) and printed its block
    /// before cloud-init finished: the probe's own block after it is
    /// accepted, and the early one fails BOOT-CONSOLE.
    func testABlockWithTheSeedsNonceBeforeCloudInitIsTheImages() throws {
        let log = log(Self.kernel, Self.probe(hostname: "mkt-vm-0001"), Self.finished, Self.probe(hostname: "vendor-build-01"))
        let blocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
        XCTAssertEqual(blocks.blocks.map(\.standing), [.beforeCloudInit, .accepted])
        XCTAssertEqual(blocks.facts?.hostname, "vendor-build-01", "the guest's real hostname, from the probe")
        XCTAssertEqual(consoleFinding(log, facts: blocks.facts).outcome, .fail)
    }

    func testASecondBlockWithTheNonceFails() throws {
        let log = log(Self.finished, Self.probe(), Self.probe(hostname: "mkt-vm-0001"))
        let blocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
        XCTAssertEqual(blocks.blocks.map(\.standing), [.accepted, .repeated])
        XCTAssertEqual(blocks.facts?.hostname, "ig-test")
        XCTAssertEqual(consoleFinding(log, facts: blocks.facts).outcome, .fail)
    }

    /// The kernel echoes its command line: a block put in
    /// GRUB_CMDLINE_LINUX, and a boot sector's, carry no nonce.
    func testABlockOnTheKernelCommandLineOrFromABootSectorIsTheImages() throws {
        let recorded = Self.probe(nonce: nil).replacingOccurrences(of: "\r\n", with: "")
        let cmdline = log("[    0.000000] Command line: BOOT_IMAGE=/vmlinuz ro \(recorded) console=ttyS0\r\n", Self.finished, Self.prompt)
        XCTAssertEqual(FactsBlocks(cmdline, nonce: Self.nonce, complete: true).blocks.map(\.standing), [.noNonce])
        let bootSector = log(Self.probe(nonce: nil, hostname: "mkt-vm-0001"), "mkt-vm-0001 login: ")
        XCTAssertNil(FactsBlocks(bootSector, nonce: Self.nonce, complete: true).facts)
        XCTAssertEqual(consoleFinding(bootSector, facts: nil).outcome, .fail)
    }

    /// A garbled block or a begin marker with no end does not hide the
    /// probe's block that follows, nor the lines after it from evidence.
    func testGarbledAndUnterminatedBlocksDoNotHideWhatFollows() throws {
        let log = log(Self.kernel, "\(GuestProbe.beginMarker) !!!! \(GuestProbe.endMarker)\r\n", "\(GuestProbe.beginMarker) AAAA\r\n",
                      "vendor line\r\n", Self.finished, Self.probe())
        let blocks = FactsBlocks(log, nonce: Self.nonce, complete: true)
        XCTAssertEqual(blocks.blocks.map(\.standing), [.garbled, .unterminated, .accepted])
        XCTAssertEqual(blocks.facts?.hostname, "ig-test")
        let open = self.log(Self.kernel, "\(GuestProbe.beginMarker) AAAA\r\n", "vendor line one\r\n", "vendor line two\r\n")
        var o = BootObservation(instance: BootRulesTests.instance, console: open, facts: nil, end: .overallTimeout(seconds: 9))
        o.factsBlocks = FactsBlocks(open, nonce: Self.nonce, complete: true)
        let texts = BootRules.evaluate(o).first { $0.rule == "BOOT-CONSOLE" }!.evidence.map(\.text)
        XCTAssertTrue(texts.contains { $0.contains(GuestProbe.beginMarker) }, "\(texts)")
    }

    /// The probe's block with no cloud-init finished line yet is held
    /// provisionally; a console that ends without one accepts it.
    func testWithoutAFinishedLineTheBlockIsProvisionalUntilTheConsoleEnds() {
        let log = log(Self.kernel, Self.probe())
        XCTAssertTrue(FactsBlocks(log, nonce: Self.nonce, complete: false).isProvisional)
        XCTAssertEqual(FactsBlocks(log, nonce: Self.nonce, complete: true).blocks.map(\.standing), [.accepted])
    }

    func testCloudInitsDatasourceIsReadFromItsFinishedLine() {
        XCTAssertEqual(log(Self.finished).cloudInitDatasource, "DataSourceNoCloud")
        let none = log("Cloud-init v. 22.4.2 finished at Fri, 27 Nov 2026 05:25:52 +0000. Datasource DataSourceNone.  Up 88.02 seconds\r\n")
        XCTAssertEqual(none.cloudInitDatasource, "DataSourceNone")
        let o = BootObservation(instance: BootRulesTests.instance, console: none, facts: nil, end: .foreignDatasource("DataSourceNone"))
        let cloudInit = BootRules.evaluate(o).first { $0.rule == "BOOT-CLOUD-INIT" }!
        XCTAssertEqual(cloudInit.outcome, .fail)
        XCTAssertTrue(cloudInit.found.contains("DataSourceNone"), cloudInit.found)
        for rule in ["BOOT-NETWORK", "BOOT-AUDITD"] {
            let finding = BootRules.evaluate(o).first { $0.rule == rule }!
            XCTAssertTrue(finding.found.contains("DataSourceNone"), "\(rule): \(finding.found)")
        }
    }

    /// A quiet command line prints no kernel messages: a login prompt or
    /// cloud-init's line shows the kernel came, so its deadline cannot be missed.
    func testAQuietBootPastItsKernelDeadlineMissedNothing() {
        let quiet = log("\u{1B}[2J GNU GRUB  version 2.06\r\n", "[   30.2] cloud-init[300]: Cloud-init v. 22.4.2 running 'init'\r\n", Self.prompt)
        let deadlines = BootDeadlines(multiplier: 1)
        XCTAssertNil(ConsoleWatcher.missedDeadline(quiet, elapsed: deadlines.kernel + 1, deadlines: deadlines))
        let silent = log("\u{1B}[2J GNU GRUB  version 2.06\r\n")
        XCTAssertEqual(ConsoleWatcher.missedDeadline(silent, elapsed: deadlines.kernel + 1, deadlines: deadlines), .deadline(.kernel, seconds: deadlines.kernel))
    }

    /// A console of endless unterminated lines fails BOOT-CONSOLE by how
    /// much of it is noise, whether or not the watch ended before the flood
    /// limit; a boot loader's long menu line is no noise.
    func testUnterminatedNoiseFailsByItsAmountNotByTiming() {
        var noisy = log(Self.kernel, Self.prompt)
        let chunk = String(repeating: "#", count: 1 << 16)
        for second in 0..<20 { noisy.feed(chunk, at: Double(2 + second)) }
        var o = BootObservation(instance: BootRulesTests.instance, console: noisy, facts: nil, end: .noFacts(seconds: 30))
        o.factsBlocks = FactsBlocks(noisy, nonce: Self.nonce, complete: true)
        let finding = BootRules.evaluate(o).first { $0.rule == "BOOT-CONSOLE" }!
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertTrue(finding.found.contains("lines too long to read"), finding.found)
        let menu = log(Self.kernel, String(repeating: "─", count: 6000) + "\r\n", Self.finished, Self.probe(), Self.prompt)
        XCTAssertLessThan(menu.droppedScalars, BootRules.noiseLimit)
    }
}

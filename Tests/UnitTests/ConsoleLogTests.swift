import ImageGate
import ImageGateBoot
import XCTest

final class ConsoleLogTests: XCTestCase {
    /// A Debian boot as ttyS0 shows it: GRUB's escape sequences, CR LF line
    /// ends, a chunk boundary inside a CR LF, and the login prompt without
    /// a newline.
    static let healthy: [String] = [
        "\u{1B}[2J\u{1B}[1;1H                             GNU GRUB  version 2.06-13\r\n",
        "\r\n\rBooting `Debian GNU/Linux'\r\n\rLoading Linux 6.1.0-56-cloud-amd64 ...\r\n",
        "[    0.000000] Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org)\r",
        "\n[    1.902010] Run /init as init process\r\n",
        "[    3.100200] systemd[1]: systemd 252.36-1~deb12u1 running in system mode\r\n",
        "\r\n\u{1B}[0;1;32mWelcome to \u{1B}[0mDebian GNU/Linux 12 (bookworm)!\r\n",
        "[   21.8] cloud-init[332]: ci-info: |  eth0  | True | 10.77.0.20 | 255.255.255.0 | global | 52:54:00:6c:9f:f6 |\r\n",
        "\r\nDebian GNU/Linux 12 ig-79d6ff ttyS0\r\n\r\nig-79d6ff login: ",
        "[   60.1] cloud-init[600]: Cloud-init v. 22.4.2 finished at Fri, 27 Nov 2026 05:25:52 +0000. Datasource DataSourceNoCloud.  Up 60.02 seconds\r\n",
    ]

    func feed(_ chunks: [String]) -> ConsoleLog {
        var log = ConsoleLog()
        for (i, chunk) in chunks.enumerated() { log.feed(chunk, at: Double(i)) }
        return log
    }

    func testStagesOfAHealthyBoot() {
        let log = feed(Self.healthy)
        XCTAssertEqual(log.stages[.firstByte]?.seconds, 0)
        XCTAssertEqual(log.stages[.bootLoader]?.seconds, 0)
        XCTAssertEqual(log.stages[.kernel]?.seconds, 3, "a line counts once its newline arrived")
        XCTAssertTrue(log.stages[.kernel]?.text.hasPrefix("[    0.000000] Linux version") ?? false, "\(String(describing: log.stages[.kernel]))")
        XCTAssertEqual(log.stages[.initSystem]?.seconds, 3, "\(String(describing: log.stages[.initSystem]))")
        XCTAssertEqual(log.stages[.loginPrompt]?.seconds, 7)
        XCTAssertEqual(log.loginHost, "ig-79d6ff")
        XCTAssertEqual(log.stages[.cloudInitFinished]?.seconds, 8)
        XCTAssertNotNil(log.cloudInitActivity)
        XCTAssertTrue(log.hits.isEmpty, "\(log.hits)")
        XCTAssertFalse(log.lines.contains { $0.contains("\u{1B}") || $0.contains("\r") }, "escape sequences are stripped")
    }

    func testKernelPanicIsFatalWithItsLine() {
        var chunks = Array(Self.healthy.prefix(3))
        chunks.append("\r\n[    2.1] Kernel panic - not syncing: Requested init /opt/vendor/init failed (error -2).\r\n")
        let log = feed(chunks)
        let fatal = try? XCTUnwrap(log.fatal)
        XCTAssertEqual(fatal?.pattern.rule, "BOOT-NO-PANIC")
        XCTAssertTrue(fatal?.mark.text.contains("Requested init /opt/vendor/init failed") ?? false)
        XCTAssertEqual(fatal.map { log.lines[$0.mark.line - 1] }, fatal?.mark.text)
    }

    func testEmergencyModeIsFatal() {
        let log = feed(["[  OK  ] Reached target local-fs-pre.target.\r\n",
                        "[ TIME ] Timed out waiting for device dev-vdb1.device - /dev/vdb1.\r\n",
                        "[DEPEND] Dependency failed for data.mount - /data.\r\n",
                        "You are in emergency mode. After logging in, type \"journalctl -xb\" to view\r\n"])
        XCTAssertEqual(log.fatal?.pattern.failureClass, "emergency-shell")
        XCTAssertEqual(log.fatal?.mark.line, 4)
        XCTAssertEqual(log.hits.map { $0.pattern.failureClass ?? "" }, ["unit-failed", "unit-failed", "emergency-shell"],
                       "the device that never came and the failed dependency are evidence before the shell")
        XCTAssertEqual(log.context(of: 4, before: 2, after: 0).first, "[ TIME ] Timed out waiting for device dev-vdb1.device - /dev/vdb1.")
    }

    func testFailedUnitIsRecordedButNotFatal() {
        let log = feed(["[FAILED] Failed to start auditd.service - Security Auditing Service.\r\n"])
        XCTAssertEqual(log.hits.count, 1)
        XCTAssertNil(log.fatal)
    }

    func testGuestProbeFactsAreDecodedFromTheConsole() throws {
        let json = #"{"nonce":"n1","hostname":"ig-1","addresses":[{"ifname":"eth0","flags":["UP"],"address":"52:54:00:aa:bb:cc","addr_info":[{"family":"inet","local":"10.77.0.20","prefixlen":24}]}],"routes":[{"dst":"default","gateway":"10.77.0.1","dev":"eth0"}],"data":{"filesystems":[{"target":"/data","source":"/dev/vdb1","fstype":"ext4"}]},"auditd":"active","firewalld":"inactive","cloudInitStatus":{"status":"done","errors":[]},"cloudInitResult":null,"cmdline":"ro","swaps":"","machineID":"abc","hostKeys":"x","failedUnits":""}"#
        let line = "\(GuestProbe.beginMarker) \(Data(json.utf8).base64EncodedString()) \(GuestProbe.endMarker)"
        let log = feed(["noise\r\n", "[  50.0] some kernel line\r\n\(line)\r\n"])
        let facts = try XCTUnwrap(FactsBlocks(log, nonce: "n1", complete: true).facts)
        XCTAssertEqual(facts.hostname, "ig-1")
        XCTAssertEqual(facts.interfaces.first?.ipv4, ["10.77.0.20/24"])
        XCTAssertEqual(facts.routes.first?.gateway, "10.77.0.1")
        XCTAssertEqual(facts.dataMount?.source, "/dev/vdb1")
        XCTAssertEqual(facts.cloudInitStatus, "done")
        XCTAssertEqual(facts.channel, "serial console (ttyS0)")
    }
}

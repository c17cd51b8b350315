import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// A first failure investigated on a real history: an image re-uploaded
/// with one package added and one upgraded fails tonight where it passed
/// last night; the investigation names the new digest, the packages, the
/// cloud-init version, and the first console line where tonight's boot
/// parts from the last good one (kernel timestamps aside), in the
/// terminal text, the JSON and the dashboard.
final class QueueInvestigationTests: XCTestCase {
    var queue: TemporaryQueue!

    override func setUpWithError() throws { queue = try TemporaryQueue("investigation", entries: [("acme", "web"), ("acme", "db")]) }

    override func tearDownWithError() throws { queue.remove() }

    let goodConsole = "[    0.000000] Linux version 6.1.0-28-cloud-amd64\n[    1.2] Run /init as init process\n[    9.8] systemd[1]: Started Network Service.\nmkt-vm-0001 login: \n"
    let badConsole = "[    0.000000] Linux version 6.1.0-28-cloud-amd64\n[    1.4] Run /init as init process\n[   10.1] systemd[1]: Failed to start Network Service.\n"

    /// One finished night: web's verdict, packages and console; db passes unchanged.
    @discardableResult
    func night(web verdict: GateVerdict, sha: String, packages: [String: String], console: String,
               hostVersions: String = "libvirt 9.0.0, QEMU 7.2.0, kernel 6.1.0-28-amd64") throws -> Int64 {
        let run = try queue.history.startRun(queue.manifest)
        var web = QueueHistory.Outcome(entry: queue.manifest.entries[0], imageSize: 1, imageSHA256: sha, failedWith: .infrastructure)
        web.record(verdict)
        web.accelerator = .tcg
        web.hostVersions = hostVersions
        web.timelines = ["mkt-vm-0001": ["first byte": 0.3]]
        web.software = CheckedSoftware(packages: packages, kernels: ["6.1.0-28-cloud-amd64"],
                                       consoleLines: ["mkt-vm-0001": CheckedSoftware.lineDigests(console)])
        let log = queue.dir + "/night-\(run)/mkt-vm-0001-console.log"
        try FileManager.default.createDirectory(atPath: queue.dir + "/night-\(run)", withIntermediateDirectories: true)
        try console.write(toFile: log, atomically: true, encoding: .utf8)
        web.consoleLogs = [log]
        var db = QueueHistory.Outcome(entry: queue.manifest.entries[1], imageSize: 1, imageSHA256: "dddd", failedWith: .infrastructure)
        db.record(.pass)
        try queue.history.record(web, run: run)
        try queue.history.record(db, run: run)
        try queue.history.endRun(run, status: .finished)
        return run
    }

    func testARegressionAfterAReuploadNamesThePackagesAndWhereTheConsoleParts() throws {
        let good = try night(web: .pass, sha: "aaaa1111", packages: ["cloud-init": "22.4.2-1", "openssh-server": "1:9.2p1-2"], console: goodConsole)
        let bad = try night(web: .fail, sha: "bbbb2222", packages: ["cloud-init": "23.1-1", "openssh-server": "1:9.2p1-2", "netplan.io": "0.106-2"],
                            console: badConsole, hostVersions: "libvirt 9.0.0, QEMU 7.2.1, kernel 6.1.0-28-amd64")
        let investigations = try QueueInvestigation.investigate(queue.history, run: bad)
        XCTAssertEqual(investigations.map(\.key), [queue.manifest.entries[0].key], "db passed both nights: nothing to investigate")
        let web = try XCTUnwrap(investigations.first)
        XCTAssertEqual(web.lastGoodRun, good)
        XCTAssertEqual(web.packages.added, ["netplan.io 0.106-2"])
        XCTAssertEqual(web.packages.changed, ["cloud-init 22.4.2-1 → 23.1-1"])
        XCTAssertEqual(web.packages.removed, [])
        XCTAssertTrue(web.differences.contains("image sha256: aaaa1111… → bbbb2222…"), "\(web.differences)")
        XCTAssertTrue(web.differences.contains("cloud-init: 22.4.2-1 → 23.1-1"), "\(web.differences)")
        XCTAssertTrue(web.differences.contains("host versions: libvirt 9.0.0, QEMU 7.2.0, kernel 6.1.0-28-amd64 → libvirt 9.0.0, QEMU 7.2.1, kernel 6.1.0-28-amd64"),
                      "\(web.differences)")
        XCTAssertFalse(web.differences.contains { $0.hasPrefix("kernels") || $0.hasPrefix("ImageGate") || $0.hasPrefix("accelerator") },
                       "what did not change is not named: \(web.differences)")
        // Line 2 differs only in its timestamp; line 3 is where the boots part.
        XCTAssertEqual(web.consoles, [.init(hostname: "mkt-vm-0001", line: 3, tonight: "systemd[1]: Failed to start Network Service.")])

        let text = QueueInvestigation.text(investigations)
        XCTAssertTrue(text.contains("passed in run \(good); since then:") && text.contains("packages added (1): netplan.io 0.106-2")
            && text.contains("console of mkt-vm-0001 parts from the last good boot at line 3: systemd[1]: Failed to start Network Service."), text)
        let page = try QueueDashboard.render(queue.history, run: bad, diff: QueueDiff.compare(queue.history, after: bad), language: .english,
                                             linksFrom: queue.dir)
        XCTAssertTrue(page.contains("<details class=\"investigation\"><summary>Investigation: what differs since it passed in run \(good)</summary>"), page)
        XCTAssertTrue(page.contains("<li>packages changed (1): cloud-init 22.4.2-1 → 23.1-1</li>"), page)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try QueueReport.json(queue.history, run: bad,
                                                                                                diff: QueueDiff.compare(queue.history, after: bad)).utf8)) as? [String: Any])
        XCTAssertEqual((json["investigations"] as? [[String: Any]])?.first?["lastGoodRun"] as? Int, Int(good))

        // A log path the history names that is no regular file (a FIFO) is not opened: the line number stands.
        let log = queue.dir + "/night-\(bad)/mkt-vm-0001-console.log"
        try FileManager.default.removeItem(atPath: log)
        XCTAssertEqual(mkfifo(log, 0o600), 0)
        XCTAssertEqual(try QueueInvestigation.investigate(queue.history, run: bad).first?.consoles,
                       [.init(hostname: "mkt-vm-0001", line: 3, tonight: nil)])

        // A second failing night is no first failure: its last check did not pass.
        XCTAssertEqual(try QueueInvestigation.investigate(queue.history, run: try night(web: .fail, sha: "bbbb2222", packages: [:], console: badConsole)), [])
    }

    func testLineDigestsSurviveTheHistoryAndIgnoreTimestamps() {
        let software = CheckedSoftware(packages: [:], kernels: [], consoleLines: ["h": CheckedSoftware.lineDigests(goodConsole)])
        XCTAssertEqual(software.consoleLines(of: "h"), CheckedSoftware.lineDigests(goodConsole))
        XCTAssertEqual(CheckedSoftware.lineDigests("[    1.2] Run /init\r\n"), CheckedSoftware.lineDigests("[   31.25] Run /init\n"))
        XCTAssertNotEqual(CheckedSoftware.lineDigests("Run /init"), CheckedSoftware.lineDigests("Run /sbin/init"))
        XCTAssertNil(software.consoleLines(of: "other"))
    }
}

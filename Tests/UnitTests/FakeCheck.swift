import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
@testable import ImageGateQueue

/// Check reports a test makes, for a queue run without a VM or an
/// appliance: what ``EntryCheck/Function`` returns in its place.
enum FakeCheck {
    /// One instance's boot as a report shows it.
    struct Boot {
        var hostname = "mkt-vm-0001"
        /// Seconds to cloud-init's finished line.
        var cloudInitFinished: Double? = 60
        var console = "Linux version 6.1\nmkt-vm-0001 login:\n"
        var endedOnDeadline = false
    }

    /// A report of `verdict` for `check`'s image, failing `failing` rules
    /// (error severity), with `boots` as its instances.
    static func report(_ verdict: GateVerdict, for check: EntryCheck, failing: [String] = [], boots: [Boot] = [Boot()]) throws -> CheckReport {
        let findings = failing.map {
            Finding(rule: $0, severity: .error, title: $0, outcome: .fail, required: "what \($0) requires", found: "not so", evidence: [])
        }
        let instances = try boots.map { boot in
            let timeline = boot.cloudInitFinished.map { [ConsoleLog.Stage.cloudInitFinished.rawValue: $0] } ?? [:]
            let json: [String: Any] = [
                "hostname": boot.hostname, "mac": "52:54:00:00:00:01", "address": "dhcp", "findings": [], "timeline": timeline,
                "end": boot.endedOnDeadline ? "deadline" : "cloud-init finished", "endedOnDeadline": boot.endedOnDeadline,
                "endedAt": boot.cloudInitFinished ?? 300, "servicePorts": [], "consoleLog": boot.console, "highlightedLines": [],
            ]
            return try JSONDecoder().decode(CheckReport.Instance.self, from: JSONSerialization.data(withJSONObject: json))
        }
        return CheckReport(generatedAt: "2026-12-07T00:00:00Z", language: "en",
                           image: .init(path: check.entry.image, format: "qcow2", virtualSize: 1 << 30, sha256: "fake", sha256After: "fake"),
                           scenario: .init(name: "fake", description: "a test's report", source: "FakeCheck"),
                           accelerator: .tcg, verdict: verdict, staticInspection: nil, instances: instances,
                           findings: findings, seconds: 1)
    }
}

/// A libvirt host that runs nothing: what a fleet member is to a queue
/// whose checks are fakes. Once `drop()` is called it stops answering.
final class FakeHost: VirtualMachineHost, @unchecked Sendable {
    let uri: String
    private let lock = NSLock()
    private var dropped = false

    init(_ uri: String) { self.uri = uri }

    func drop() { lock.withLock { dropped = true } }
    var isDropped: Bool { lock.withLock { dropped } }

    func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance { throw ImageGateError.infrastructure("a fake host boots nothing") }
    func instances(prefix: String) async throws -> [any VirtualMachineInstance] {
        if isDropped { throw ImageGateError.infrastructure("\(uri): connection reset") }
        return []
    }
    func offersKVM() async throws -> Bool { false }
}

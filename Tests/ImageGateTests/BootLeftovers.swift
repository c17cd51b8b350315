import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
import XCTest

/// What a finished boot of this process must not leave: a QEMU still
/// running one of its `-boot-` VMs, a run folder, a port lock. Read from
/// /proc and the state folder (no libvirt connection), so a test class can
/// check after every test, whatever order the tests run in.
enum BootLeftovers {
    static func assertNone(file: StaticString = #filePath, line: UInt = #line) {
        let pid = ProcessInfo.processInfo.processIdentifier
        XCTAssertEqual(runningBootVMs().filter { VMName.owner(of: $0)?.pid == pid }, [], "domains left running", file: file, line: line)
        let state = StateDirectory.default
        // The process's scratch folder (post-mortems' appliances) lives as
        // long as the process; its exit, or the next start, removes it.
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
        XCTAssertEqual(runs.filter { StateDirectory.owner(ofRun: $0)?.pid == pid && !$0.hasPrefix("scratch-") }, [],
                       "run folders left behind", file: file, line: line)
        let ports = (try? FileManager.default.contentsOfDirectory(atPath: state.ports)) ?? []
        XCTAssertEqual(ports.filter { LoopbackPort.owner(ofLock: state.ports + "/" + $0) == pid }, [],
                       "port locks left behind", file: file, line: line)
    }

    /// The names of the `-boot-` VMs QEMU processes on this machine run
    /// (`-name guest=NAME,…`).
    static func runningBootVMs() -> [String] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
        return pids.compactMap { pid -> String? in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first?.contains("qemu-system") == true,
                  let name = arguments.first(where: { $0.hasPrefix("guest=" + VMName.prefix) }) else { return nil }
            let guest = String(name.dropFirst("guest=".count).prefix { $0 != "," })
            return guest.contains("-boot-") ? guest : nil
        }
    }
}

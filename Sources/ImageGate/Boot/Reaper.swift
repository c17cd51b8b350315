import Foundation

/// Cleans up after runs that crashed: VMs named `imagegate-…` whose owning
/// process is gone are destroyed, and run folders whose owner is gone are
/// removed. Runs of live processes (parallel runs) are left alone.
public struct Reaper: Sendable {
    public var host: any VirtualMachineHost
    public var state: StateDirectory

    public init(host: any VirtualMachineHost, state: StateDirectory = .default) {
        self.host = host
        self.state = state
    }

    static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Returns what was reaped, for the log.
    @discardableResult
    public func reap() async throws -> [String] {
        var reaped: [String] = []
        for vm in try await host.instances(prefix: VMName.prefix) {
            guard let pid = VMName.ownerPID(of: vm.name), !Self.isAlive(pid) else { continue }
            try? await vm.destroy()
            reaped.append("domain \(vm.name)")
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? [] {
            guard let pid = StateDirectory.ownerPID(ofRun: name), !Self.isAlive(pid) else { continue }
            try? FileManager.default.removeItem(atPath: state.runs + "/" + name)
            reaped.append("run folder \(name)")
        }
        return reaped
    }
}

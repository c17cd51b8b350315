import Foundation
import Libvirt
import ImageGateModel

/// One libvirt host as `imagegate hosts check` sees it before a night
/// starts: reachable or why not, libvirt's and QEMU's versions, KVM or TCG
/// (the same probe as for a boot), ImageGate's pool there, and how many
/// boots it can take at once.
public struct HostReport: Sendable, Codable, Equatable {
    public var uri: String
    public var reachable: Bool
    /// Why it is unusable (unreachable, pool or probe failed); nil when fine.
    public var problem: String?
    public var hostname: String?
    public var libvirtVersion: String?
    public var qemuVersion: String?
    public var accelerator: String?
    public var acceleratorReason: String?
    public var pool: PoolDescription?
    /// Boots at once: the capacity given (`URI=N`), else what its CPUs and
    /// memory allow (one boot per 2 CPUs and 1.5 GiB).
    public var capacity: Int?

    /// Checks `uri`; every failure is recorded in the report, never thrown.
    public static func check(_ uri: String, capacity: Int? = nil, state: StateDirectory = .default) async -> HostReport {
        var report = HostReport(uri: uri, reachable: false)
        do {
            try await LibvirtHost.with(uri, state: state) { host in
                report.reachable = true
                // The hostname only labels the report.
                report.hostname = try? await host.connection.hostname()
                report.libvirtVersion = try await host.connection.libvirtVersion()
                report.qemuVersion = try await host.connection.hypervisorVersion()
                let choice = try await AcceleratorProbe(host: host, state: state).chooseOnce()
                report.accelerator = choice.accelerator.rawValue
                report.acceleratorReason = choice.reason
                if let pool = host.pool { report.pool = try await pool.describe() }
                if let capacity { report.capacity = capacity } else { report.capacity = try await host.connection.bootCapacity() }
            }
        } catch {
            report.problem = "\(error)"
        }
        return report
    }

    public var healthy: Bool { reachable && problem == nil }

    /// One line per fact, for the terminal.
    public var lines: [String] {
        guard healthy else { return ["\(uri): UNUSABLE — \(problem ?? "unreachable")"] }
        var lines = ["\(uri): ok\(hostname.map { " (\($0))" } ?? "")",
                     "  libvirt \(libvirtVersion ?? "?"), QEMU \(qemuVersion ?? "?")",
                     "  \(accelerator ?? "?"): \(acceleratorReason ?? "")"]
        if let pool {
            lines.append("  pool \(pool.name) at \(pool.path): \(GateLimits.describe(pool.availableBytes)) free of \(GateLimits.describe(pool.capacityBytes)); \(pool.cachedCandidates) cached candidate(s), \(GateLimits.describe(pool.cachedBytes)) of a \(GateLimits.describe(pool.capBytes)) cap")
        }
        lines.append("  capacity: \(capacity ?? 1) boot(s) at once")
        return lines
    }
}

extension Connection {
    /// Boots a host can take at once, from `virNodeGetInfo`: one per two
    /// CPUs and per 1.5 GiB of its memory.
    package func bootCapacity() async throws -> Int {
        let (cpus, memoryKiB) = try await nodeInfo()
        return max(1, min(cpus / 2, Int(memoryKiB / (1536 * 1024))))
    }
}

import Foundation
import ImageGateModel

/// The libvirt hosts a queue spreads its boots over (`--hosts`, or the
/// manifest's `hosts:`): each entry goes to the healthy host with the most
/// free capacity; a host that stops answering is marked unhealthy, takes
/// no more entries, and the entry it dropped is run again elsewhere.
public actor Fleet {
    public struct HostStatus: Sendable, Codable, Equatable {
        public var uri: String
        public var capacity: Int
        public var healthy: Bool
        public var problem: String?
        /// Checks this host finished (whatever their verdict).
        public var checked: Int
    }

    struct Member {
        var host: any VirtualMachineHost
        var status: HostStatus
        var busy = 0
        /// Entries given to this host so far.
        var given = 0
    }

    private var members: [Member]
    /// Hosts that could not be reached at the start: listed, never used.
    private let unreachable: [HostStatus]

    /// Hosts already connected, each taking `capacity` boots at once.
    public init(_ hosts: [(host: any VirtualMachineHost, capacity: Int)], unreachable: [HostStatus] = []) {
        members = hosts.map { Member(host: $0.host, status: HostStatus(uri: $0.host.uri, capacity: max(1, $0.capacity), healthy: true, checked: 0)) }
        self.unreachable = unreachable
    }

    /// Connects to every host; one that cannot be reached starts unhealthy
    /// (and the run goes on on the others). The capacity not given is what
    /// the host's CPUs and memory allow (``HostReport``).
    public static func connect(_ specs: [HostSpec],
                               connect: @Sendable (String) async throws -> any VirtualMachineHost) async -> (Fleet, [HostStatus]) {
        var hosts: [(host: any VirtualMachineHost, capacity: Int)] = []
        var unreachable: [HostStatus] = []
        for spec in specs {
            do {
                let host = try await connect(spec.uri)
                let capacity: Int
                // A host that cannot say takes one boot at a time.
                if let given = spec.capacity { capacity = given } else { capacity = (try? await host.bootCapacity()) ?? 1 }
                hosts.append((host, capacity))
            } catch {
                unreachable.append(HostStatus(uri: spec.uri, capacity: spec.capacity ?? 0, healthy: false, problem: "unreachable: \(error)", checked: 0))
            }
        }
        return (Fleet(hosts, unreachable: unreachable), unreachable)
    }

    /// Boots the healthy hosts take at once.
    public var capacity: Int { members.filter(\.status.healthy).reduce(0) { $0 + $1.status.capacity } }

    public var statuses: [HostStatus] { members.map(\.status) + unreachable }

    /// A slot on the healthy host with the most free capacity (not one in
    /// `avoiding` while another is healthy), waiting for one to free up.
    /// Throws once no host is healthy.
    public func acquire(avoiding: Set<String> = []) async throws -> (index: Int, host: any VirtualMachineHost) {
        while true {
            try Task.checkCancellation()
            let healthy = members.indices.filter { members[$0].status.healthy }
            guard !healthy.isEmpty else {
                throw ImageGateError.infrastructure("no healthy libvirt host is left: " + statuses.map { "\($0.uri): \($0.problem ?? "?")" }.joined(separator: "; "))
            }
            let preferred = healthy.filter { !avoiding.contains(members[$0].status.uri) }
            let pool = preferred.isEmpty ? healthy : preferred
            // The most free capacity; between equals, the host given the
            // fewest entries so far, so every host takes its share.
            if let best = pool.filter({ members[$0].busy < members[$0].status.capacity }).min(by: { a, b in
                let freeA = members[a].status.capacity - members[a].busy, freeB = members[b].status.capacity - members[b].busy
                return freeA != freeB ? freeA > freeB : members[a].given < members[b].given
            }) {
                members[best].busy += 1
                members[best].given += 1
                return (best, members[best].host)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    public func release(_ index: Int, checked: Bool) {
        members[index].busy -= 1
        if checked { members[index].status.checked += 1 }
    }

    /// Whether the host still answers; one that does not is marked
    /// unhealthy with why, for good.
    public func stillHealthy(_ index: Int) async -> Bool {
        guard members[index].status.healthy else { return false }
        let host = members[index].host
        do {
            _ = try await host.instances(prefix: VMName.prefix)
            return true
        } catch {
            members[index].status.healthy = false
            members[index].status.problem = "stopped answering during the run: \(error)"
            return false
        }
    }

    public func uri(_ index: Int) -> String { members[index].status.uri }
}

import Foundation
import ImageGateModel

/// Where a boot's disks live on a host that cannot see this machine's
/// files (a remote libvirt host): volumes in a storage pool there, written
/// and read only through libvirt. The embedded driver has none (its QEMU
/// opens the run folder's files directly).
public protocol RemoteDiskStore: Sendable {
    /// The candidate as a volume on the host for the run whose VM is `vm`:
    /// the cached one (named by its SHA-256) once its bytes, read back,
    /// hash to `sha256`; else the run's own upload, whose bytes hashed to
    /// `sha256` as they were sent. Held for the run (a lease among its
    /// volumes) until ``deleteRunVolumes(vm:)``.
    func candidate(_ image: ImageFile, sha256: String, vm: String) async throws -> CandidateVolume
    /// A new qcow2 volume backed by the candidate volume at `backing`;
    /// returns its path on the host.
    func createOverlay(name: String, backing: String, backingFormat: String, capacity: Int64) async throws -> String
    /// A new blank raw volume of `bytes`; returns its path on the host.
    func createBlankDisk(name: String, bytes: Int64) async throws -> String
    /// `count` bytes of the volume from `offset` (nil: it has fewer).
    func read(_ name: String, offset: UInt64, count: Int) async throws -> [UInt8]?
    /// A local file copied into a new raw volume; returns its path on the host.
    func upload(file: String, as name: String) async throws -> String
    /// Bytes the volume takes on the host's disk (nil: no such volume).
    func allocation(of name: String) async throws -> Int64?
    /// The volume's file on the host (for a qcow2 overlay, the overlay
    /// itself, not the disk it stands for) copied to the new local file
    /// `path`; a volume of more than `limit` bytes is an error.
    func download(_ name: String, to path: String, limit: Int64) async throws
    /// Deletes the volume; a missing one is no error.
    func delete(_ name: String) async throws
    /// Deletes every volume of the run whose VM is `vm` (``RemoteVolumeStore/runVolume(vm:_:)``).
    func deleteRunVolumes(vm: String) async throws
    /// The pool's size, use and cap, for `imagegate hosts check`.
    func describe() async throws -> PoolDescription
    /// Run volumes this machine left behind whose VM is gone (not in
    /// `activeDomains`) and whose owner process is dead: deleted; returns
    /// what was.
    func reapLeftovers(activeDomains: Set<String>) async -> [String]
}

/// The candidate's volume on a host, and what it took to have it there.
public struct CandidateVolume: Sendable, Equatable {
    /// The cached candidate's (`candidate-<sha256>`) or the run's own upload's.
    public var name: String
    /// The volume's path on the host.
    public var path: String
    /// 0 when an existing volume was verified and reused.
    public var uploadedBytes: Int64
    public var seconds: Double
}

/// ImageGate's pool on one host.
public struct PoolDescription: Sendable, Codable, Equatable {
    public var name: String
    public var path: String
    public var capacityBytes: Int64
    public var availableBytes: Int64
    /// What the cached candidates take, and the cap they are evicted under.
    public var cachedCandidates: Int
    public var cachedBytes: Int64
    public var capBytes: Int64
}

/// Where ImageGate's pool is on a remote host, and how much its cached
/// candidates may take before the least recently used go.
public struct RemotePoolSettings: Sendable, Equatable {
    public var name = "imagegate"
    public var path = "/var/lib/imagegate/pool"
    public var capBytes: Int64 = 50 << 30

    public init() {}

    /// `IMAGEGATE_POOL_PATH` and `IMAGEGATE_POOL_CAP_GIB`, over the defaults.
    public static var fromEnvironment: RemotePoolSettings {
        var settings = RemotePoolSettings()
        let env = ProcessInfo.processInfo.environment
        if let path = env["IMAGEGATE_POOL_PATH"], path.hasPrefix("/") { settings.path = path }
        if let cap = env["IMAGEGATE_POOL_CAP_GIB"].flatMap(Double.init), cap > 0 { settings.capBytes = Int64(cap * Double(1 << 30)) }
        return settings
    }
}

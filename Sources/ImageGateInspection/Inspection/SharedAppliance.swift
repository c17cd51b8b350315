import Guestfs
import ImageGateModel

/// What the images of a batch (``StaticBatch``) ask their shared appliance
/// once rather than each: the partitions (`list_partitions` lists every
/// disk's) and libguestfs's `inspect_os` (it inspects every filesystem of
/// every disk, seconds each under TCG). Each image takes what is on its
/// own disk.
actor SharedAppliance {
    private let handle: Handle
    private var partitions: [String]?
    private var roots: Result<[String], any Error>?

    init(handle: Handle) { self.handle = handle }

    /// Every partition of every disk; the caller keeps its own disk's.
    func allPartitions() async throws -> [String] {
        if partitions == nil { partitions = try await handle.partitions() }
        return partitions!
    }

    /// The OS roots libguestfs found on `drive`. Its inspection reads every
    /// disk: when it fails, it fails once for all of them (the images
    /// then go to appliances of their own, where the failure is their own
    /// disk's, or not at all).
    func roots(on drive: String) async throws -> [String] {
        if roots == nil {
            do { roots = .success(try await handle.inspectOS()) } catch { roots = .failure(error) }
        }
        return try roots!.get().filter { DiskLayout.partition($0, isOn: drive) || $0 == drive }
    }
}

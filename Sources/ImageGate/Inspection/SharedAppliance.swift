import Guestfs

/// What the images of a batch (``StaticBatch``) ask their shared appliance
/// once rather than each: the partitions (`list_partitions` lists every
/// disk's) and libguestfs's `inspect_os` (it inspects every filesystem of
/// every disk, seconds each under TCG). Each image takes what is on its
/// own disk.
actor SharedAppliance {
    private let handle: Handle
    private var partitions: [String]?
    private var roots: [String]?

    init(handle: Handle) { self.handle = handle }

    /// Every partition of every disk; the caller keeps its own disk's.
    func allPartitions() async throws -> [String] {
        if partitions == nil { partitions = try await handle.partitions() }
        return partitions!
    }

    /// The OS roots libguestfs found on `drive`.
    func roots(on drive: String) async throws -> [String] {
        if roots == nil { roots = try await handle.inspectOS() }
        return roots!.filter { DiskLayout.partition($0, isOn: drive) || $0 == drive }
    }
}

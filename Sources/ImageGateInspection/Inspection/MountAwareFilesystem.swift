import ImageGateModel

/// A guest filesystem that refuses to answer for paths under a mount point
/// the guest needs but inspection could not mount: the directory there on
/// the root filesystem is not what the guest sees, so any answer would be a
/// guess. Each such read throws ``GuestFileProblem/notMounted(path:mountpoint:reason:)``.
public struct MountAwareFilesystem: GuestFilesystem {
    let base: any GuestFilesystem
    /// Mount point → why it is not mounted.
    let hidden: [String: String]

    public init(_ base: any GuestFilesystem, mounts: [GuestMount]) {
        self.base = base
        var hidden: [String: String] = [:]
        for mount in mounts where mount.hidesContents { hidden[mount.mountpoint] = mount.problem ?? "not mounted" }
        self.hidden = hidden
    }

    private func check(_ path: String) throws {
        for (mountpoint, reason) in hidden where path == mountpoint || path.hasPrefix(mountpoint + "/") {
            throw GuestFileProblem.notMounted(path: path, mountpoint: mountpoint, reason: reason)
        }
    }

    public func read(_ path: String) async throws -> String? { try check(path); return try await base.read(path) }
    public func list(_ directory: String) async throws -> [String]? { try check(directory); return try await base.list(directory) }
    public func kind(_ path: String) async throws -> FileKind { try check(path); return try await base.kind(path) }
    public func readLink(_ path: String) async throws -> String? { try check(path); return try await base.readLink(path) }
    public func size(_ path: String) async throws -> Int64? { try check(path); return try await base.size(path) }
    public func initramfsContents(_ path: String) async throws -> [String]? { try check(path); return try await base.initramfsContents(path) }
    public func entries(in directory: String) async throws -> [String: FileKind]? { try check(directory); return try await base.entries(in: directory) }
}

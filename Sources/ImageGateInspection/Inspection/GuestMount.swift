import ImageGateModel

/// One local filesystem the guest's fstab mounts, and whether inspection
/// mounted it too. A filesystem the guest needs at boot (no `nofail`, no
/// `noauto`) that inspection could not mount hides what is under its mount
/// point: rules reading there are "could not check" (``MountAwareFilesystem``).
public struct GuestMount: Sendable, Codable, Equatable {
    public var mountpoint: String
    /// The fstab spec (`UUID=…`, `/dev/…`), or the device for the root.
    public var spec: String
    public var fstabLine: Int?
    public var mounted: Bool
    /// Why it is not mounted.
    public var problem: String?
    /// The guest needs it at boot (no `nofail` or `noauto` option).
    public var required: Bool

    public init(mountpoint: String, spec: String, fstabLine: Int? = nil, mounted: Bool, problem: String? = nil, required: Bool = true) {
        self.mountpoint = mountpoint
        self.spec = spec
        self.fstabLine = fstabLine
        self.mounted = mounted
        self.problem = problem
        self.required = required
    }

    /// Not mounted, and needed: its contents are unknown.
    public var hidesContents: Bool { !mounted && required }

    /// Every local fstab entry, matched with what inspection tried to mount
    /// (`attempted`: mount point → device) and what failed (mount point →
    /// message); the root first.
    package static func table(fstab: Fstab, root: String, attempted: [String: String], failures: [String: String]) -> [GuestMount] {
        var table = [GuestMount(mountpoint: "/", spec: root, mounted: true)]
        for entry in fstab.localMounts {
            let required = !entry.options.contains("nofail") && !entry.options.contains("noauto")
            var mount = GuestMount(mountpoint: entry.mountpoint, spec: entry.spec, fstabLine: entry.line, mounted: false, required: required)
            if let failure = failures[entry.mountpoint] {
                mount.problem = "mounting \(attempted[entry.mountpoint] ?? entry.spec) failed: \(failure)"
            } else if attempted[entry.mountpoint] != nil {
                mount.mounted = true
            } else {
                mount.problem = "\(entry.spec) matches no filesystem on this disk"
            }
            table.append(mount)
        }
        return table
    }
}

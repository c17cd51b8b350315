/// What libguestfs inspection learnt about one operating system.
public struct OSInspection: Sendable, Equatable {
    /// Where a filesystem of the guest is mounted in the guest.
    public struct Mount: Sendable, Equatable {
        public let mountpoint: String
        public let device: String

        public init(mountpoint: String, device: String) {
            self.mountpoint = mountpoint
            self.device = device
        }
    }

    public let root: String
    /// `linux`, `windows`, ...
    public let type: String
    /// `debian`, `ubuntu`, `rhel`, `centos`, `rocky`, ...
    public let distro: String
    public let majorVersion: Int
    public let minorVersion: Int
    public let productName: String
    /// `deb`, `rpm`, ...
    public let packageFormat: String
    public let hostname: String
    public let mountpoints: [Mount]
}

/// An installed package.
public struct Application: Sendable, Equatable {
    public let name: String
    public let epoch: Int
    public let version: String
    public let release: String
    public let arch: String

    /// `version-release`, or `version` when there is no release.
    public var fullVersion: String { release.isEmpty ? version : "\(version)-\(release)" }
}

/// The `lstat` of a file.
public struct FileStatus: Sendable, Equatable {
    public let mode: UInt32
    public let size: Int64
    public let uid: Int
    public let gid: Int
    /// Seconds since the epoch.
    public let modified: Int64
}

import ImageGateModel

/// What is known about the guest OS before any rule runs, gathered once per
/// image (libguestfs inspection plus a few reads) and given to every rule.
public struct OSFacts: Sendable, Codable, Equatable {
    /// `linux`, `windows`, ... (libguestfs's inspection type).
    public var family: String
    /// `debian`, `ubuntu`, `rhel`, `centos`, `rocky`, ...
    public var distro: String
    public var majorVersion: Int
    public var minorVersion: Int
    public var productName: String
    /// `deb`, `rpm`, ...
    public var packageFormat: String
    /// Installed packages: name → version (`version-release`, no epoch).
    public var packages: [String: String]
    /// Kernel versions installed (from `/lib/modules`).
    public var kernels: [String]
    /// The system disk's virtual size in bytes.
    public var diskVirtualSize: Int64
    /// The image file's format (`qcow2`, `raw`).
    public var imageFormat: String
    /// Every partition and filesystem on the disk.
    public var volumes: [Volume]
    /// The disk's first 440 bytes hold code (a boot loader's first stage)
    /// rather than zeros; nil when they were not read.
    public var bootCode: Bool?
    /// Every operating system found on the disk (`linux debian 12.5 on
    /// /dev/sda1`); IMG-OS requires exactly one.
    public var operatingSystems: [String] = []
    /// Why no operating system could be read when the image's own bytes
    /// stopped libguestfs's inspection (a symlink loop, a damaged
    /// filesystem): the image's fault, judged by IMG-OS.
    public var unreadableOS: String?
    /// The guest's local filesystems, and whether inspection mounted each.
    public var mounts: [GuestMount] = []
    /// What only a Windows image has; nil for any other.
    public var windows: WindowsFacts?

    public struct Volume: Sendable, Codable, Equatable {
        public var device: String
        public var filesystem: String
        /// MBR type byte, on an `msdos` disk.
        public var mbrID: Int?
        /// GPT type GUID, on a `gpt` disk.
        public var gptType: String?
        /// What a kernel's `root=` or an fstab line may name it by, as blkid
        /// read them (nil: none, or not read).
        public var uuid: String?
        public var label: String?
        public var partUUID: String?

        public init(device: String, filesystem: String, mbrID: Int? = nil, gptType: String? = nil) {
            self.device = device
            self.filesystem = filesystem
            self.mbrID = mbrID
            self.gptType = gptType
        }
    }

    public init(family: String = "linux", distro: String = "debian", majorVersion: Int = 12, minorVersion: Int = 0,
                productName: String = "Debian GNU/Linux 12", packageFormat: String = "deb",
                packages: [String: String] = [:], kernels: [String] = [], diskVirtualSize: Int64 = 20 << 30,
                imageFormat: String = "qcow2", volumes: [Volume] = []) {
        self.family = family
        self.distro = distro
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.productName = productName
        self.packageFormat = packageFormat
        self.packages = packages
        self.kernels = kernels
        self.diskVirtualSize = diskVirtualSize
        self.imageFormat = imageFormat
        self.volumes = volumes
    }

    /// "Ubuntu 22.04", "Debian 12", ...
    public var osName: String {
        let name = Self.distroNames[distro] ?? distro
        return minorVersion == 0 && distro != "ubuntu" ? "\(name) \(majorVersion)"
            : "\(name) \(majorVersion).\(String(format: "%02d", minorVersion))"
    }

    static let distroNames = [
        "ubuntu": "Ubuntu", "debian": "Debian", "rhel": "Red Hat", "centos": "CentOS",
        "rocky": "Rocky", "almalinux": "AlmaLinux", "fedora": "Fedora", "opensuse": "openSUSE",
        "sles": "SLES", "ol": "Oracle Linux",
    ]

    /// Whether the OS is `distro` at `major.minor` or later.
    public func isAtLeast(_ distro: String, _ major: Int, _ minor: Int = 0) -> Bool {
        self.distro == distro && (majorVersion, minorVersion) >= (major, minor)
    }

    /// Debian and derivatives keep grub.cfg in /boot/grub, the Red Hat
    /// family and SUSE in /boot/grub2.
    public var grubConfigPaths: [String] {
        packageFormat == "rpm" ? ["/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"]
            : ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"]
    }

    /// The installed version of the first of `names` that is installed.
    public func package(_ names: String...) -> (name: String, version: String)? {
        for name in names { if let version = packages[name] { return (name, version) } }
        return nil
    }
}

import Foundation

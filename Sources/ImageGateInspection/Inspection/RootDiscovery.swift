import Foundation
import Guestfs
import ImageGateModel

/// Finds a Linux guest's root filesystem, mounts it and the local
/// filesystems its fstab lists read-only, and reads which OS it is and what
/// packages it has — in a dozen appliance calls, where libguestfs's own
/// inspection (`inspect_os`) takes seconds under TCG.
///
/// It vouches only for the plain case: ext or xfs filesystems on partitions
/// or LVM, one OS, os-release naming a distribution libguestfs names the same
/// way, a dpkg database. Anything else (RAID, LUKS, btrfs subvolumes, an rpm
/// database, Windows, an unknown ID) is `.unsure`, and the caller asks
/// libguestfs instead.
package struct RootDiscovery {
    package enum Outcome {
        case found(DiscoveredOS)
        case unsure(String)
    }

    let handle: Handle
    /// Bounded reads through the same handle.
    let fs: GuestfsFilesystem

    package init(handle: Handle, fs: GuestfsFilesystem) {
        self.handle = handle
        self.fs = fs
    }

    static let rootTypes: Set<String> = ["ext2", "ext3", "ext4", "xfs"]
    /// Types that need more than a plain mount, or another OS family.
    static let unsureTypes: Set<String> = ["crypto_LUKS", "btrfs", "zfs_member", "linux_raid_member", "ntfs", "BitLocker"]

    package func discover(_ layout: DiskLayout) async throws -> Outcome {
        var devices: [BlockDevice] = []
        for device in layout.devices {
            guard let blkid = layout.blkid[device], let block = BlockDevice(device: device, blkid: blkid) else { continue }
            if Self.unsureTypes.contains(block.type) { return .unsure("\(device) holds \(block.type)") }
            devices.append(block)
        }

        // The root: the first ext/xfs filesystem with an os-release.
        var root: (device: BlockDevice, release: OSRelease)?
        for device in devices where Self.rootTypes.contains(device.type) {
            // A filesystem that will not mount is no root candidate; the next one is tried.
            guard (try? await handle.mountReadOnly(device.device, at: "/")) != nil else { continue }
            if let text = try await Self.osRelease(fs) {
                root = (device, OSRelease(parsing: text))
                break
            }
            try await handle.unmountAll()
        }
        guard let root else { return .unsure("no ext or xfs filesystem with an os-release") }
        // A file that cannot be read (a FIFO, a device, too large) is left
        // to the rules, which report it; it does not hide the OS.
        // Only a Debian guest has it.
        let debianVersion = try? await fs.read(fs.resolve("/etc/debian_version").last!)
        guard let identity = root.release.identity(debianVersion: debianVersion ?? nil) else {
            return .unsure("os-release ID=\(root.release.values["ID"] ?? "?") VERSION_ID=\(root.release.values["VERSION_ID"] ?? "?")")
        }
        guard identity.packageFormat == "deb" else { return .unsure("\(identity.packageFormat) package database") }

        // What fstab mounts below the root, where it is on this disk.
        // No readable fstab: this root mounts nothing else; the fstab rules say why.
        let fstab = Fstab(parsing: ((try? await fs.read(fs.resolve("/etc/fstab").last!)) ?? nil) ?? "")
        var mounts = [OSInspection.Mount(mountpoint: "/", device: root.device.device)]
        for entry in fstab.localMounts {
            guard let device = BlockDevice.resolve(entry.spec, in: devices), device.device != root.device.device else { continue }
            if Self.unsureTypes.contains(device.type) || entry.options.contains(where: { $0.hasPrefix("subvol") }) {
                return .unsure("fstab line \(entry.line): \(entry.spec) needs more than a plain mount")
            }
            mounts.append(.init(mountpoint: entry.mountpoint, device: device.device))
        }
        // A second OS elsewhere on the disk is for libguestfs to sort out.
        let mounted = Set(mounts.map(\.device))
        for device in devices where Self.rootTypes.contains(device.type) && !mounted.contains(device.device) {
            try await handle.unmountAll()
            // A filesystem that will not mount is no root candidate; the next one is tried.
            guard (try? await handle.mountReadOnly(device.device, at: "/")) != nil else { continue }
            if try await Self.osRelease(fs) != nil { return .unsure("a second OS on \(device.device)") }
        }
        try await handle.unmountAll()
        let failures = try await handle.mountReadOnly(mounts)

        let packages = try await dpkgPackages(fs)
        guard let packages else { return .unsure("no /var/lib/dpkg/status") }
        return .found(DiscoveredOS(root: root.device.device, identity: identity, mountpoints: mounts, mountFailures: failures, packages: packages))
    }

    static func osRelease(_ fs: GuestfsFilesystem) async throws -> String? {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            if let text = try await fs.read(try await fs.resolve(path).last!) { return text }
        }
        return nil
    }

    /// The dpkg database (up to the per-file limit, like any guest file).
    private func dpkgPackages(_ fs: GuestfsFilesystem) async throws -> [String: String]? {
        let path = try await fs.resolve("/var/lib/dpkg/status").last!
        guard try await fs.kind(path) == .file, let bytes = try await fs.readBytes(path, limit: fs.limits.guestFileBytes) else { return nil }
        return DpkgStatus.installedPackages(String(decoding: bytes, as: UTF8.self))
    }
}

extension Handle {
    /// Mounts the guest's filesystems read-only, shortest mount point first.
    /// Only the root must mount: one that will not leaves the rest checkable,
    /// and is returned (mount point → why) so that nothing under it is
    /// judged as if it had been read.
    @discardableResult
    package func mountReadOnly(_ mounts: [OSInspection.Mount]) async throws -> [String: String] {
        var failures: [String: String] = [:]
        for mount in mounts.sorted(by: { $0.mountpoint.count < $1.mountpoint.count }) {
            do {
                try await mountReadOnly(mount.device, at: mount.mountpoint)
            } catch where mount.mountpoint != "/" {
                failures[mount.mountpoint] = "\(error)"
            }
        }
        return failures
    }
}

/// What ``RootDiscovery`` found.
package struct DiscoveredOS {
    var root: String
    var identity: OSIdentity
    var mountpoints: [OSInspection.Mount]
    var mountFailures: [String: String]
    var packages: [String: String]
}

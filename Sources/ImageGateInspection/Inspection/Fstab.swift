import ImageGateModel

/// `/etc/fstab`: which filesystem the guest mounts where, and how a line's
/// device names one of the block devices on the image.
public struct Fstab: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The first field: `UUID=…`, `LABEL=…`, `/dev/vda1`, `host:/export`, ...
        public var spec: String
        public var mountpoint: String
        public var type: String
        public var options: [String]
        public var line: Int
    }

    public var entries: [Entry]

    public init(parsing text: String) {
        entries = Line.split(text).compactMap { line in
            guard !line.isCommentOrBlank else { return nil }
            let fields = line.trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 3 else { return nil }
            return Entry(spec: Self.unescape(fields[0]), mountpoint: Self.unescape(fields[1]), type: fields[2],
                         options: fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : [], line: line.number)
        }
    }

    /// fstab writes a space in a field as `\040`, a tab as `\011`.
    static func unescape(_ field: String) -> String {
        field.replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
    }

    /// The filesystems to mount below the root: local block devices only
    /// (not swap, pseudo or network filesystems, not bind mounts).
    public var localMounts: [Entry] {
        entries.filter { entry in
            entry.mountpoint.hasPrefix("/") && entry.mountpoint != "/" && entry.type != "swap"
                && !Self.pseudoTypes.contains(entry.type) && !entry.options.contains("bind")
                && (entry.spec.hasPrefix("/dev/") || entry.spec.contains("="))
        }
    }

    static let pseudoTypes: Set<String> = [
        "none", "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "efivarfs", "securityfs", "debugfs", "tracefs",
        "cgroup", "cgroup2", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs",
        "nfs", "nfs4", "cifs", "smb3", "sshfs", "fuse", "overlay", "9p", "virtiofs",
    ]
}

/// A block device on the image and what blkid reads off it.
public struct BlockDevice: Sendable, Equatable {
    /// The appliance's name: `/dev/sda1`, `/dev/VG/LV`, ...
    public var device: String
    public var type: String
    public var uuid: String?
    public var label: String?
    public var partUUID: String?
    public var partLabel: String?

    public init(device: String, type: String, uuid: String? = nil, label: String? = nil,
                partUUID: String? = nil, partLabel: String? = nil) {
        self.device = device
        self.type = type
        self.uuid = uuid
        self.label = label
        self.partUUID = partUUID
        self.partLabel = partLabel
    }

    /// From what blkid prints: `TYPE`, `UUID`, `LABEL`, and the partition
    /// entry's `PART_ENTRY_UUID` and `PART_ENTRY_NAME` (a low-level probe's
    /// names for PARTUUID and PARTLABEL).
    public init?(device: String, blkid: [String: String]) {
        guard let type = blkid["TYPE"], !type.isEmpty else { return nil }
        self.init(device: device, type: type, uuid: blkid["UUID"], label: blkid["LABEL"],
                  partUUID: blkid["PART_ENTRY_UUID"] ?? blkid["PARTUUID"], partLabel: blkid["PART_ENTRY_NAME"] ?? blkid["PARTLABEL"])
    }

    /// The device an fstab spec names among `devices`, or nil when it is not
    /// on this image (a data disk added later, a network share). The guest's
    /// names for the first disk (`/dev/vda1`, `/dev/sda1`, `/dev/xvda1`,
    /// `/dev/nvme0n1p1`) are the appliance's `/dev/sda1`.
    public static func resolve(_ spec: String, in devices: [BlockDevice]) -> BlockDevice? {
        func value(after prefix: String) -> String? { spec.hasPrefix(prefix) ? String(spec.dropFirst(prefix.count)) : nil }
        func same(_ a: String?, _ b: String) -> Bool { a?.lowercased() == b.lowercased() }
        if let uuid = value(after: "UUID=") ?? value(after: "/dev/disk/by-uuid/") {
            return devices.first { same($0.uuid, uuid) }
        }
        if let label = value(after: "LABEL=") ?? value(after: "/dev/disk/by-label/") {
            return devices.first { $0.label == label }
        }
        if let partUUID = value(after: "PARTUUID=") ?? value(after: "/dev/disk/by-partuuid/") {
            return devices.first { same($0.partUUID, partUUID) }
        }
        if let partLabel = value(after: "PARTLABEL=") ?? value(after: "/dev/disk/by-partlabel/") {
            return devices.first { $0.partLabel == partLabel }
        }
        if let mapper = value(after: "/dev/mapper/") {
            // VG-LV, with a dash inside either name doubled.
            var names = [""]
            var characters = Array(mapper)[...]
            while let character = characters.popFirst() {
                if character == "-" && characters.first == "-" {
                    names[names.count - 1].append("-")
                    characters = characters.dropFirst()
                } else if character == "-" {
                    names.append("")
                } else {
                    names[names.count - 1].append(character)
                }
            }
            guard names.count == 2 else { return nil }
            return devices.first { $0.device == "/dev/\(names[0])/\(names[1])" }
        }
        if let name = value(after: "/dev/") {
            if let partition = firstDiskPartition(name) {
                return devices.first { $0.device == "/dev/sda" + partition }
            }
            return devices.first { $0.device == spec }  // /dev/VG/LV
        }
        return nil
    }

    /// `vda1` → `1`, `sda` → `` (the whole first disk); nil for any other disk.
    static func firstDiskPartition(_ name: String) -> String? {
        for disk in ["vda", "sda", "xvda", "hda"] where name.hasPrefix(disk) {
            let rest = name.dropFirst(disk.count)
            if rest.allSatisfy(\.isNumber) { return String(rest) }
        }
        if name.hasPrefix("nvme0n1") {
            let rest = name.dropFirst("nvme0n1".count)
            if rest.isEmpty { return "" }
            if rest.first == "p", rest.dropFirst().allSatisfy(\.isNumber), rest.count > 1 { return String(rest.dropFirst()) }
        }
        return nil
    }
}

import Foundation

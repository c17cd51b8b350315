import Foundation
import Guestfs
import ImageGateModel

/// What the static phase learns of a Windows image beyond its name and
/// version: where the system is, which control set is current, and how the
/// disk is laid out (partitions with their extents, C:'s among them).
public struct WindowsFacts: Sendable, Codable, Equatable {
    /// `/Windows`, as the filesystem spells it.
    public var systemRoot: String
    /// `Server` or `Client` (the registry's InstallationType).
    public var productVariant: String
    /// `ControlSet001`: what `CurrentControlSet` stands for.
    public var currentControlSet: String
    public var architecture: String
    /// The device of C: (the drive mapping, else the Windows root).
    public var systemDevice: String
    /// `msdos` or `gpt`.
    public var partitionTable: String
    public var diskBytes: Int64
    public var partitions: [Partition]

    public struct Partition: Sendable, Codable, Equatable {
        public var number: Int
        public var device: String
        public var startByte: Int64
        public var endByte: Int64
        public var bootable: Bool
        public var filesystem: String
    }

    /// Reads them through `handle`; `root` is libguestfs's Windows root,
    /// `drive` the image's disk where the appliance holds several. The
    /// partitions' extents and flags come from what blkid already read
    /// (`layout`): each parted call costs about a second under TCG.
    static func read(_ handle: Handle, root: String, drive: String?, layout: DiskLayout, volumes: [OSFacts.Volume]) async throws -> WindowsFacts {
        let windows = try await handle.inspectWindows(root: root)
        // libguestfs maps C: by the MBR disk signature; images cloned from
        // one template share it, so a mapping to another disk is not this
        // image's C:.
        let mapped = windows.driveMappings["C"].flatMap { drive == nil || DiskLayout.partition($0, isOn: drive!) ? $0 : nil }
        let systemDevice = mapped ?? root
        let disk = try await handle.partitionLocation(systemDevice).device
        var table = ""
        var partitions: [Partition] = []
        for device in layout.partitions where DiskLayout.partition(device, isOn: disk) {
            let id = layout.blkid[device] ?? [:]
            let sector: Int64 = 512
            let start = (id["PART_ENTRY_OFFSET"].flatMap { Int64($0) } ?? 0) * sector
            let size = (id["PART_ENTRY_SIZE"].flatMap { Int64($0) } ?? 0) * sector
            table = id["PART_ENTRY_SCHEME"].map { $0 == "dos" ? "msdos" : $0 } ?? table
            let flags = id["PART_ENTRY_FLAGS"].flatMap { UInt64($0.replacingOccurrences(of: "0x", with: ""), radix: 16) } ?? 0
            partitions.append(Partition(number: id["PART_ENTRY_NUMBER"].flatMap { Int($0) } ?? 0, device: device,
                                        startByte: start, endByte: start + size - 1,
                                        bootable: table == "msdos" && flags & 0x80 != 0,
                                        filesystem: volumes.first { $0.device == device }?.filesystem ?? ""))
        }
        if table.isEmpty { table = try await handle.partitionTableType(disk) }
        return WindowsFacts(systemRoot: windows.systemRoot, productVariant: windows.productVariant,
                            currentControlSet: windows.currentControlSet, architecture: windows.architecture,
                            systemDevice: systemDevice, partitionTable: table, diskBytes: try await handle.size(ofDevice: disk),
                            partitions: partitions)
    }
}

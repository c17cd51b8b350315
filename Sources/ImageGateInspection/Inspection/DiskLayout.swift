import Guestfs
import ImageGateModel

/// The block devices on the image and what blkid reads off each, probed
/// once for both finding the OS and the facts rules read (partition types,
/// filesystems). Each external tool the appliance runs costs a fraction of
/// a second under TCG, so what blkid already said is not asked again.
package struct DiskLayout {
    var partitions: [String]
    var logicalVolumes: [String]
    /// Disks holding a filesystem directly, without a partition table.
    var wholeDisks: [String]
    /// Device → blkid's answer; absent where blkid found nothing.
    var blkid: [String: [String: String]]

    /// Every device that may hold a filesystem, partitions first.
    var devices: [String] { partitions + logicalVolumes + wholeDisks }

    /// LVM physical volumes among the partitions and disks.
    var physicalVolumes: [String] { (partitions + wholeDisks).filter { blkid[$0]?["TYPE"] == "LVM2_member" } }

    /// Probes every disk of the appliance, or only `drive` (e.g. `/dev/sdb`)
    /// where it holds several images. Logical volumes belong to no one drive
    /// (two images may even name their volume groups alike), so with a
    /// `drive` they are not listed: ``physicalVolumes`` says they are there.
    /// `partitions`: the appliance's, where the caller knows them already.
    package static func probe(_ handle: Handle, drive: String? = nil, partitions known: [String]? = nil) async throws -> DiskLayout {
        let all = if let known { known } else { try await handle.partitions() }
        let partitions = all.filter { drive == nil || Self.partition($0, isOn: drive!) }
        var layout = DiskLayout(partitions: partitions, logicalVolumes: [], wholeDisks: [], blkid: [:])
        if layout.partitions.isEmpty { layout.wholeDisks = try await handle.devices().filter { drive == nil || $0 == drive } }
        for device in layout.partitions + layout.wholeDisks {
            // What the image does not let blkid read stays unknown; the rules needing it say could-not-check.
            layout.blkid[device] = try? await handle.blockID(device)
        }
        // LVM only where a physical volume is.
        if drive == nil, !layout.physicalVolumes.isEmpty {
            // An image without LVM (or a broken one) has no logical volumes to list.
            layout.logicalVolumes = (try? await handle.logicalVolumes()) ?? []
            // As above: an unreadable volume stays unknown.
            for device in layout.logicalVolumes { layout.blkid[device] = try? await handle.blockID(device) }
        }
        return layout
    }

    /// `/dev/sda1` is on `/dev/sda`; `/dev/sdaa1` is not.
    package static func partition(_ partition: String, isOn drive: String) -> Bool {
        guard partition.hasPrefix(drive) else { return false }
        let number = partition.dropFirst(drive.count)
        return !number.isEmpty && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber)
    }

    /// The partitions, LVs and unpartitioned disks with their filesystem
    /// and partition type.
    /// blkid gives both in one answer; a partition it found nothing on (an
    /// unformatted swap partition, say) is asked with libguestfs's calls.
    func volumes(_ handle: Handle) async -> [OSFacts.Volume] {
        var volumes: [OSFacts.Volume] = []
        for device in partitions + logicalVolumes + wholeDisks {
            if let id = blkid[device] {
                var volume = OSFacts.Volume(device: device, filesystem: id["TYPE"] ?? "")
                (volume.uuid, volume.label, volume.partUUID) = (id["UUID"], id["LABEL"], id["PART_ENTRY_UUID"] ?? id["PARTUUID"])
                if let type = id["PART_ENTRY_TYPE"] {
                    if id["PART_ENTRY_SCHEME"] == "dos" { volume.mbrID = Int(type.replacingOccurrences(of: "0x", with: ""), radix: 16) }
                    if id["PART_ENTRY_SCHEME"] == "gpt" { volume.gptType = type.uppercased() }
                }
                volumes.append(volume)
                continue
            }
            // Partition facts the image does not let us read stay unknown: the rules that need them say so.
            var volume = OSFacts.Volume(device: device, filesystem: (try? await handle.filesystemType(device)) ?? "unknown")
            // The same for where the partition lies and its type.
            if let location = try? await handle.partitionLocation(device),
               let table = try? await handle.partitionTableType(location.device) {
                if table == "msdos" { volume.mbrID = try? await handle.mbrID(location.device, partition: location.number) }
                if table == "gpt" { volume.gptType = try? await handle.gptType(location.device, partition: location.number) }
            }
            volumes.append(volume)
        }
        return volumes
    }
}

import ImageGateModel

/// Windows rules about the system disk and its partitions.
enum WindowsDiskRules {
    static let minimumSize = Rule(
        "WIN-DISK-MIN", .error, title: "System disk at least 40 GiB",
        required: "virtual size of the Windows system disk >= 40 GiB",
        fix: "Grow the image: qemu-img resize IMAGE 40G, then extend C: to the end of the disk (Disk Management, or diskpart: select volume C, extend).",
        chinese: RuleText(title: "系统盘不小于 40 GiB", required: "Windows 系统盘虚拟大小 >= 40 GiB", fix: "扩容镜像：qemu-img resize IMAGE 40G，再把 C: 扩展到磁盘末尾（磁盘管理，或 diskpart：select volume C、extend）。"),
        families: ["windows"]
    ) { context in
        let size = context.facts.diskVirtualSize
        let found = "virtual size \(DiskRules.formatGiB(size))"
        return size >= 40 * DiskRules.gib ? .pass(found) : .violated(found, [Evidence("disk virtual size: \(size) bytes")])
    }

    static let biosBoot = Rule(
        "WIN-BIOS-BOOT", .warning, title: "BIOS (MBR) boot",
        required: "the image boots by BIOS from an MBR disk with an active partition; UEFI images need manual handling by the platform",
        fix: "Build the image for BIOS boot: an MBR partition table with the boot partition marked active (or tell the platform the image needs UEFI).",
        chinese: RuleText(title: "BIOS（MBR）启动", required: "镜像从 MBR 磁盘的活动分区以 BIOS 方式启动；UEFI 镜像需要平台人工处理", fix: "按 BIOS 启动制作镜像：MBR 分区表，启动分区设为活动分区（或告知平台该镜像需要 UEFI）。"),
        families: ["windows"]
    ) { context in
        guard let windows = context.facts.windows else { return .couldNotCheck("the disk layout was not read") }
        let evidence = windows.partitions.map(describe)
        if windows.partitionTable == "gpt" {
            let esp = context.facts.volumes.filter { $0.gptType == efiSystemPartition }
            return .violated("a GPT disk\(esp.isEmpty ? "" : " with an EFI system partition"): the image boots by UEFI",
                             [Evidence("partition table: gpt")] + esp.map { Evidence(path: $0.device, "EFI system partition (\(efiSystemPartition))") })
        }
        guard windows.partitionTable == "msdos" else {
            return .violated("partition table \(windows.partitionTable)", [Evidence("partition table: \(windows.partitionTable)")])
        }
        guard let active = windows.partitions.first(where: \.bootable) else {
            return .violated("an MBR disk with no active partition: BIOS finds nothing to boot", evidence)
        }
        return .pass("MBR, \(active.device) active", evidence)
    }

    static let partitions = Rule(
        "WIN-PARTITIONS", .error, title: "Boot partition first, C: last to the end of the disk",
        required: "a boot partition, if any, is first; the system partition (C:) is last and reaches the end of the disk; nothing after it",
        fix: "Lay the disk out as the platform expects: the boot partition (System Reserved or EFI) first, C: last and extended to the end of the disk; move or delete recovery partitions that follow C: (diskpart), then extend C:.",
        chinese: RuleText(title: "启动分区在前，C: 在最后并到磁盘末尾", required: "如有启动分区，它是第一个分区；系统分区（C:）是最后一个分区并延伸到磁盘末尾，其后没有其他分区", fix: "按平台要求布置磁盘：启动分区（系统保留或 EFI）在前，C: 在最后并扩展到磁盘末尾；移动或删除位于 C: 之后的恢复分区（diskpart），再扩展 C:。"),
        families: ["windows"]
    ) { context in
        guard let windows = context.facts.windows else { return .couldNotCheck("the disk layout was not read") }
        let ordered = windows.partitions.sorted { $0.startByte < $1.startByte }
        let evidence = ordered.map(describe)
        guard let c = ordered.firstIndex(where: { $0.device == windows.systemDevice }) else {
            return .couldNotCheck("C: (\(windows.systemDevice)) is not a partition of the system disk", evidence)
        }
        var problems: [String] = []
        let after = ordered[(c + 1)...]
        if !after.isEmpty { problems.append("\(after.map(\.device).joined(separator: ", ")) after C:") }
        // The last MiB may stay unallocated: alignment, and GPT's backup table.
        let gap = windows.diskBytes - 1 - ordered[c].endByte
        if gap > 1 << 20 { problems.append("C: ends \(formatMiB(gap)) before the end of the disk") }
        let bootIndex = ordered.firstIndex { isBootPartition($0, context.facts) && $0.device != windows.systemDevice }
        if let bootIndex, bootIndex != 0 { problems.append("the boot partition \(ordered[bootIndex].device) is not first") }
        return problems.isEmpty ? .pass("C: is \(ordered[c].device), last, to the end of the disk", evidence)
            : .violated(problems.joined(separator: "; "), evidence)
    }

    static let efiSystemPartition = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

    /// Active on MBR, or the EFI system partition on GPT.
    static func isBootPartition(_ partition: WindowsFacts.Partition, _ facts: OSFacts) -> Bool {
        partition.bootable || facts.volumes.contains { $0.device == partition.device && $0.gptType == efiSystemPartition }
    }

    static func describe(_ p: WindowsFacts.Partition) -> Evidence {
        Evidence(path: p.device, "\(formatMiB(p.startByte)) to \(formatMiB(p.endByte + 1)), \(p.filesystem.isEmpty ? "no filesystem" : p.filesystem)\(p.bootable ? ", active" : "")")
    }

    static func formatMiB(_ bytes: Int64) -> String { "\(bytes >> 20) MiB" }
}

import ImageGateModel

/// Rules about the system disk itself.
package enum DiskRules {
    static let gib: Int64 = 1 << 30

    static let minimumSize = Rule(
        "LNX-DISK-MIN", .error, title: "System disk at least 20 GiB",
        required: "virtual size of the system disk >= 20 GiB",
        fix: "Grow the image: qemu-img resize IMAGE 20G, then grow the last partition and its filesystem (growpart, resize2fs / xfs_growfs).",
        chinese: RuleText(title: "系统盘不小于 20 GiB", required: "系统盘虚拟大小 >= 20 GiB", fix: "扩容镜像：qemu-img resize IMAGE 20G，再扩展最后一个分区及其文件系统（growpart、resize2fs / xfs_growfs）。")
    ) { context in
        let size = context.facts.diskVirtualSize
        let found = "virtual size \(formatGiB(size))"
        return size >= 20 * gib ? .pass(found) : .violated(found, [Evidence("disk virtual size: \(size) bytes")])
    }

    static let format = Rule(
        "LNX-FORMAT", .warning, title: "qcow2 disk format",
        required: "the image is a qcow2 file (attached on the virtio bus)",
        fix: "Convert the image: qemu-img convert -O qcow2 IMAGE IMAGE.qcow2.",
        chinese: RuleText(title: "磁盘格式为 qcow2", required: "镜像为 qcow2 格式（virtio 总线）", fix: "转换格式：qemu-img convert -O qcow2 IMAGE IMAGE.qcow2。")
    ) { context in
        let format = context.facts.imageFormat
        return format == "qcow2" ? .pass("qcow2") : .violated("format \(format)", [Evidence("qemu-img reports format \(format)")])
    }

    package static let noSwap = Rule(
        "LNX-NO-SWAP", .error, title: "No swap partition or swap entry",
        required: "no swap partition on the disk and no swap entry in /etc/fstab",
        fix: "Remove swap: delete the swap partition (and give its space to the root filesystem), and delete every swap line from /etc/fstab and any swap file.",
        chinese: RuleText(title: "不使用 SWAP 分区", required: "磁盘上没有 swap 分区，/etc/fstab 中没有 swap 条目", fix: "删除 swap 分区（并把空间给根文件系统），删除 /etc/fstab 中所有 swap 行及 swap 文件。")
    ) { context in
        var evidence: [Evidence] = []
        for volume in context.facts.volumes {
            let swapType = volume.mbrID == 0x82 || volume.gptType?.uppercased() == "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
            if volume.filesystem == "swap" || swapType {
                evidence.append(Evidence(path: volume.device, "swap partition (filesystem \(volume.filesystem)\(volume.mbrID.map { String(format: ", MBR id 0x%02x", $0) } ?? ""))"))
            }
        }
        for line in try await context.fs.lines("/etc/fstab") ?? [] where !line.isCommentOrBlank {
            let fields = line.trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 3, fields[2] == "swap" { evidence.append(.at("/etc/fstab", line)) }
        }
        return evidence.isEmpty ? .pass("no swap partition, no swap in /etc/fstab")
            : .violated("\(evidence.count) swap setting(s)", evidence)
    }

    package static func formatGiB(_ bytes: Int64) -> String {
        let gib = Double(bytes) / Double(Self.gib)
        return gib == gib.rounded() ? "\(Int(gib)) GiB" : String(format: "%.2f GiB", gib)
    }
}

import Foundation

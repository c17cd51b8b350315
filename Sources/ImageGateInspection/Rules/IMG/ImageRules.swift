import ImageGateModel

/// Rules about the image as a whole, whatever it holds.
package enum ImageRules {
    package static let operatingSystem = Rule(
        "IMG-OS", .error, title: "One operating system ImageGate knows",
        required: "the image holds exactly one operating system that ImageGate recognises and has rules for (Linux, Windows)",
        fix: "Ship one bootable Linux or Windows system per image; remove other systems and leftover root filesystems from the disk.",
        chinese: RuleText(title: "只含一个 ImageGate 可审核的操作系统", required: "镜像中恰好有一个 ImageGate 能识别并有规则的操作系统（Linux、Windows；没有系统、有两个系统或系统未知均不通过，并列出所发现的内容）", fix: "每个镜像只放一个可启动的 Linux 或 Windows 系统；删除磁盘上的其他系统和残留的根文件系统。"),
        families: []
    ) { context in
        let facts = context.facts
        let volumes = facts.volumes.map { Evidence(path: $0.device, $0.filesystem.isEmpty ? "no filesystem" : $0.filesystem) }
        if facts.operatingSystems.count > 1 {
            return .violated("\(facts.operatingSystems.count) operating systems on one disk", facts.operatingSystems.map { Evidence($0) })
        }
        switch facts.family {
        case "linux":
            return .pass("\(facts.osName) (\(facts.productName))", facts.operatingSystems.map { Evidence($0) })
        case "windows":
            return .pass("\(facts.productName) (Windows \(facts.majorVersion).\(facts.minorVersion))", facts.operatingSystems.map { Evidence($0) })
        case "none":
            if let why = facts.unreadableOS {
                return .violated("no operating system could be read from the disk: \(why)", [Evidence("libguestfs: \(why)")] + volumes)
            }
            return .violated("no operating system found on the disk", volumes.isEmpty ? [Evidence("no partitions or filesystems")] : volumes)
        default:
            return .violated("\(facts.family) (\(facts.distro), \(facts.productName)): ImageGate has no rules for this operating system",
                             facts.operatingSystems.map { Evidence($0) } + volumes)
        }
    }
}

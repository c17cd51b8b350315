import ImageGateModel

/// Rules about the kernel and its modules.
package enum KernelRules {
    /// Whether `module` is built into kernel `version`, shipped as a module
    /// file, and (for a module) present in that kernel's initramfs.
    struct ModuleFinding {
        var builtIn = false
        var file: String?
        var inInitramfs: Bool?
    }

    static func find(_ module: String, kernel version: String, initramfs: [String]?, fs: any GuestFilesystem) async throws -> ModuleFinding {
        var result = ModuleFinding()
        let base = "/lib/modules/\(version)"
        let names = [module, module.replacingOccurrences(of: "_", with: "-")]
        if let builtin = try await fs.read(base + "/modules.builtin") {
            result.builtIn = builtin.split(separator: "\n").contains { line in
                names.contains { line.hasSuffix("/\($0).ko") }
            }
        }
        if result.builtIn { return result }
        if let dep = try await fs.read(base + "/modules.dep") {
            for line in dep.split(separator: "\n") {
                let path = line.split(separator: ":").first.map(String.init) ?? ""
                let file = path.split(separator: "/").last.map(String.init) ?? ""
                if names.contains(where: { file == "\($0).ko" || file.hasPrefix("\($0).ko.") }) {
                    result.file = base + "/" + path
                    break
                }
            }
        }
        if let initramfs, let file = result.file {
            let name = file.split(separator: "/").last.map(String.init) ?? ""
            result.inInitramfs = initramfs.contains { $0.hasSuffix("/" + name) }
        }
        return result
    }

    /// The root filesystem's type and the modules that can mount it (ext2
    /// and ext3 are mounted by ext4's driver as well), when ImageGate knows
    /// them; nil for anything else, which is left to the boot.
    static func rootDriver(_ facts: OSFacts) -> (filesystem: String, modules: [String])? {
        guard let root = facts.mounts.first(where: { $0.mountpoint == "/" && $0.mounted }),
              let filesystem = facts.volumes.first(where: { $0.device == root.spec })?.filesystem else { return nil }
        switch filesystem {
        case "ext4": return (filesystem, ["ext4"])
        case "ext2", "ext3": return (filesystem, ["ext4", filesystem])
        case "xfs", "btrfs": return (filesystem, [filesystem])
        default: return nil
        }
    }

    static func initramfsPath(for version: String, fs: any GuestFilesystem) async throws -> String? {
        for path in ["/boot/initrd.img-\(version)", "/boot/initramfs-\(version).img"] where try await fs.exists(path) {
            return path
        }
        return nil
    }

    package static let virtio = Rule(
        "LNX-VIRTIO", .error, title: "virtio drivers present",
        required: "virtio_blk, virtio_net and virtio_pci built into every installed kernel or in its initramfs, with the root filesystem's driver",
        fix: "Add the drivers to the initramfs: on Debian/Ubuntu list virtio_blk, virtio_net, virtio_pci in /etc/initramfs-tools/modules and run update-initramfs -u; on the Red Hat family add add_drivers+=\" virtio_blk virtio_net virtio_pci \" to /etc/dracut.conf.d/virtio.conf and run dracut -f.",
        chinese: RuleText(title: "包含 virtio 驱动", required: "每个已安装内核内置或在 initramfs 中包含 virtio_blk、virtio_net、virtio_pci", fix: "把驱动加入 initramfs：Debian/Ubuntu 在 /etc/initramfs-tools/modules 中写入 virtio_blk virtio_net virtio_pci 后执行 update-initramfs -u；CentOS/RedHat/Rocky 在 /etc/dracut.conf.d/virtio.conf 中写入 add_drivers+=\" virtio_blk virtio_net virtio_pci \" 后执行 dracut -f。")
    ) { context in
        let kernels = context.facts.kernels
        guard !kernels.isEmpty else { return .couldNotCheck("no kernel found under /lib/modules") }
        var missing: [Evidence] = []
        var undecided: [String] = []
        var seen: [String] = []
        for version in kernels {
            let initrdPath = try await initramfsPath(for: version, fs: context.fs)
            var contents: [String]??  // listed only if a module is not built in
            for module in ["virtio_blk", "virtio_net", "virtio_pci"] {
                var found = try await find(module, kernel: version, initramfs: nil, fs: context.fs)
                if found.builtIn {
                    seen.append("\(module) built into \(version)")
                    continue
                }
                guard let file = found.file else {
                    missing.append(Evidence(path: "/lib/modules/\(version)", "\(module) is neither built in nor a module"))
                    continue
                }
                // virtio_net is not needed to mount root: a module file suffices.
                if module == "virtio_net" {
                    seen.append("\(module) module in \(version)")
                    continue
                }
                if contents == nil {
                    contents = .some(try await initrdPath.asyncMap { try await context.fs.initramfsContents($0) } ?? nil)
                }
                found = try await find(module, kernel: version, initramfs: contents ?? nil, fs: context.fs)
                switch found.inInitramfs {
                case true?: seen.append("\(module) module in the initramfs of \(version)")
                case false?: missing.append(Evidence(path: initrdPath, "\(module).ko is not in the initramfs of \(version)"))
                case nil: undecided.append("\(module) is a module of \(version) (\(file)) and its initramfs \(initrdPath ?? "(none)") could not be listed")
                }
            }
            // The root filesystem's driver: without it the initramfs cannot mount root.
            guard let (filesystem, modules) = rootDriver(context.facts) else { continue }
            var found: [(String, ModuleFinding)] = []
            for module in modules { found.append((module, try await find(module, kernel: version, initramfs: nil, fs: context.fs))) }
            if let builtIn = found.first(where: { $0.1.builtIn }) {
                seen.append("\(builtIn.0) (the root filesystem, \(filesystem)) built into \(version)")
                continue
            }
            guard found.contains(where: { $0.1.file != nil }) else {
                missing.append(Evidence(path: "/lib/modules/\(version)", "no driver for the root filesystem (\(filesystem)): \(modules.joined(separator: " or ")) is neither built in nor a module"))
                continue
            }
            if contents == nil {
                contents = .some(try await initrdPath.asyncMap { try await context.fs.initramfsContents($0) } ?? nil)
            }
            var inInitramfs: [Bool?] = []
            for module in modules { inInitramfs.append(try await find(module, kernel: version, initramfs: contents ?? nil, fs: context.fs).inInitramfs) }
            if let index = inInitramfs.firstIndex(of: true) {
                seen.append("\(modules[index]) (the root filesystem, \(filesystem)) module in the initramfs of \(version)")
            } else if inInitramfs.contains(false) {
                missing.append(Evidence(path: initrdPath, "\(modules.map { "\($0).ko" }.joined(separator: " or ")) is not in the initramfs of \(version): it cannot mount the root filesystem (\(filesystem))"))
            } else {
                undecided.append("the root filesystem's driver (\(filesystem)) is a module of \(version) and its initramfs \(initrdPath ?? "(none)") could not be listed")
            }
        }
        if !missing.isEmpty { return .violated("drivers the new instance needs to boot are missing (virtio, or the root filesystem's)", missing) }
        if !undecided.isEmpty { return .couldNotCheck(undecided.joined(separator: "; ")) }
        return .pass(seen.joined(separator: "; "))
    }

    static let netFailover = Rule(
        "LNX-NET-FAILOVER", .error, title: "Fast tier: kernel >= 4.19 with net_failover",
        required: "for fast-tier (快杰) images: a kernel >= 4.19 with the net_failover driver",
        fix: "Install a kernel of version 4.19 or later that ships net_failover (built in or as a module), or do not claim the fast network tier.",
        chinese: RuleText(title: "快杰镜像：内核 >= 4.19 且含 net_failover", required: "快杰镜像的内核版本 >= 4.19，并包含 net_failover 驱动", fix: "安装 4.19 及以上、带 net_failover（内置或模块）的内核；或不声明快杰机型。")
    ) { context in
        guard !context.facts.kernels.isEmpty else { return .couldNotCheck("no kernel found under /lib/modules") }
        var good: [String] = []
        var evidence: [Evidence] = []
        for version in context.facts.kernels {
            let numbers = version.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            let recent = numbers.count == 2 && (numbers[0], numbers[1]) >= (4, 19)
            let module = try await find("net_failover", kernel: version, initramfs: nil, fs: context.fs)
            let has = module.builtIn || module.file != nil
            if recent && has { good.append(version) }
            evidence.append(Evidence(path: "/lib/modules/\(version)",
                                     "kernel \(version): \(recent ? ">= 4.19" : "older than 4.19"), net_failover \(has ? "present" : "absent")"))
        }
        let found = good.isEmpty ? "no kernel >= 4.19 with net_failover" : "net_failover in \(good.joined(separator: ", "))"
        if !good.isEmpty { return .pass(found, evidence) }
        return context.profile.fastTier ? .violated(found, evidence)
            : .violated(found + " (the image does not claim the fast tier)", evidence, severity: .info)
    }

    static let nouveau = Rule(
        "LNX-NOUVEAU", .error, title: "nouveau blacklisted",
        required: "/etc/modprobe.d/blacklist-nouv.conf holds 'blacklist nouveau' and 'options nouveau modeset=0'",
        fix: "printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' > /etc/modprobe.d/blacklist-nouv.conf",
        chinese: RuleText(title: "屏蔽 nouveau", required: "/etc/modprobe.d/blacklist-nouv.conf 含 blacklist nouveau 和 options nouveau modeset=0", fix: "printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' > /etc/modprobe.d/blacklist-nouv.conf")
    ) { context in
        try await requireLines("/etc/modprobe.d/blacklist-nouv.conf", ["blacklist nouveau", "options nouveau modeset=0"], fs: context.fs)
    }

    static let mlx5 = Rule(
        "LNX-MLX5", .error, title: "mlx5 loads after virtio_net",
        required: "/etc/modprobe.d/mlx5.conf holds 'softdep mlx5_core pre: virtio_net'",
        fix: "echo 'softdep mlx5_core pre: virtio_net' > /etc/modprobe.d/mlx5.conf",
        chinese: RuleText(title: "mlx5 在 virtio_net 之后加载", required: "/etc/modprobe.d/mlx5.conf 含 softdep mlx5_core pre: virtio_net", fix: "echo 'softdep mlx5_core pre: virtio_net' > /etc/modprobe.d/mlx5.conf")
    ) { context in
        try await requireLines("/etc/modprobe.d/mlx5.conf", ["softdep mlx5_core pre: virtio_net"], fs: context.fs)
    }

    /// Each of `required` must appear as a line (white space folded).
    static func requireLines(_ path: String, _ required: [String], fs: any GuestFilesystem) async throws -> Verdict {
        guard let lines = try await fs.lines(path) else {
            return .violated("\(path) is missing", [Evidence(path: path, "file not found")])
        }
        let present = Set(lines.filter { !$0.isCommentOrBlank }.map { fold($0.text) })
        let missing = required.filter { !present.contains(fold($0)) }
        if missing.isEmpty { return .pass("\(path) holds \(required.map { "'\($0)'" }.joined(separator: ", "))") }
        let shown = lines.isEmpty ? [Evidence(path: path, "(empty file)")] : lines.map { Evidence.at(path, $0) }
        return .violated("missing line(s): \(missing.map { "'\($0)'" }.joined(separator: ", "))", shown)
    }

    static func fold(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

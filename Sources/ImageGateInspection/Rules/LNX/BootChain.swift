import ImageGateModel

extension BootLoaderRules {
    package static let bootChain = Rule(
        "LNX-BOOT-CHAIN", .error, title: "the boot chain reaches a login, read before booting",
        required: """
            on this platform's BIOS firmware: boot code in the first sector (on GPT, a BIOS boot partition); GRUB's module folder \
            holds normal.mod and what moddep.lst and grub.cfg's insmod lines need; the default entry's kernel and initramfs are on \
            the disk; its root= names a filesystem on the disk; its command line stops nothing (init= to a non-init, single, \
            emergency, systemd.unit=rescue.target); systemd's default target is not rescue or emergency
            """,
        fix: """
            Reinstall the boot loader and regenerate its configuration inside the image (grub-install /dev/vda and update-grub on \
            Debian and Ubuntu; grub2-install /dev/vda and grub2-mkconfig -o /boot/grub2/grub.cfg on the Red Hat family); \
            remove single, emergency, rescue, init= and systemd.unit= from GRUB_CMDLINE_LINUX; systemctl set-default multi-user.target.
            """,
        chinese: RuleText(
            title: "启动链可到达登录（开机前静态检查）",
            required: "在平台的 BIOS 固件上：首扇区有引导代码（GPT 磁盘须有 BIOS boot 分区）；GRUB 模块目录含 normal.mod 及 moddep.lst、grub.cfg 的 insmod 所需模块；默认启动项的内核与 initramfs 在磁盘上；其 root= 指向本磁盘上的文件系统；内核参数不阻断启动（init= 指向非 init 程序、single、emergency、systemd.unit=rescue.target）；systemd 默认目标不是 rescue 或 emergency",
            fix: "在镜像内重新安装引导程序并重新生成配置（debian/ubuntu：grub-install /dev/vda 和 update-grub；centos/redhat/rocky：grub2-install /dev/vda 和 grub2-mkconfig -o /boot/grub2/grub.cfg）；从 GRUB_CMDLINE_LINUX 去掉 single、emergency、rescue、init= 和 systemd.unit=；执行 systemctl set-default multi-user.target。")
    ) { context in
        guard let boot = try await DefaultBoot.read(context) else {
            return .couldNotCheck("no grub.cfg at \(context.facts.grubConfigPaths.joined(separator: " or ")): the image does not boot with GRUB")
        }
        let chain = try await BootChain.walk(boot, context: context)
        let unchecked = chain.notChecked.isEmpty ? "" : " (not checked: \(chain.notChecked.joined(separator: "; ")))"
        guard chain.problems.isEmpty else {
            let held = chain.stages.isEmpty ? "" : " (held: \(chain.stages.joined(separator: " → ")))"
            return .violated("the boot chain breaks: \(chain.problems.map(\.text).joined(separator: "; "))\(held)\(unchecked)", chain.problems)
        }
        if let menuElsewhere = chain.menuElsewhere {
            return .couldNotCheck("\(menuElsewhere) (held: \(chain.stages.joined(separator: " → ")))\(unchecked)", chain.evidence)
        }
        return .pass("the chain reaches a login: \(chain.stages.joined(separator: " → "))\(unchecked)", chain.evidence)
    }
}

/// The boot chain walked stage by stage on the stopped disk, the way the
/// firmware, GRUB, the kernel, the initramfs and systemd will walk it:
/// boot code where the BIOS looks, GRUB's modules, the default entry, its
/// kernel and initramfs, its `root=`, what its command line starts, and
/// systemd's default target.
struct BootChain {
    /// What breaks the chain, each at its file and line.
    var problems: [Evidence] = []
    /// What was not decided, and why.
    var notChecked: [String] = []
    /// Each stage that holds, in the order the boot reaches them.
    var stages: [String] = []
    /// Where the stages that hold were read.
    var evidence: [Evidence] = []
    /// grub.cfg hands over to another file for its menu: the entry's
    /// stages were not read.
    var menuElsewhere: String?

    static func walk(_ boot: DefaultBoot, context: RuleContext) async throws -> BootChain {
        var chain = BootChain()
        chain.checkPlacement(context.facts)
        try await chain.checkModules(boot, fs: context.fs)
        guard let entry = boot.entry else {
            // A grub.cfg that hands over to another file (configfile, source) has its menu there.
            if let handOver = boot.menu.handOver {
                chain.menuElsewhere = "\(boot.menu.path):\(handOver.line.number): \(handOver.words.joined(separator: " ")): the menu it reads is not followed"
                return chain
            }
            chain.problems.append(Evidence(path: boot.menu.path, boot.menu.entries.isEmpty && !boot.menu.usesBootLoaderSpec
                ? "no menu entry: GRUB stops at its command line" : "no menu entry to boot (\(boot.choice))"))
            return chain
        }
        chain.stages.append("entry '\(entry.entry.title)' (\(boot.choice))")
        guard let kernel = entry.kernel else {
            chain.problems.append(Evidence(path: entry.entry.source, line: entry.entry.line.number,
                                           "the default entry '\(entry.entry.title)' loads no kernel (no linux line)"))
            return chain
        }
        chain.evidence.append(Evidence(path: entry.entry.source, line: kernel.line.number, kernel.line.trimmed))
        var found: [String] = []
        if let file = try await chain.checkFile(kernel.words[1], at: kernel, source: entry.entry.source, fs: context.fs) { found.append(file) }
        var initramfs: [String] = []
        for initrd in entry.initrds {
            if let file = try await chain.checkFile(initrd.file, at: initrd.command, source: entry.entry.source, fs: context.fs) { initramfs.append(file) }
        }
        if !found.isEmpty { chain.stages.append((found + initramfs).joined(separator: " and ")) }
        let line = entry.argumentsLine ?? kernel.line
        chain.checkRoot(entry.arguments, line: line, path: entry.entry.source, volumes: context.facts.volumes)
        chain.checkStops(entry.arguments, line: line, path: entry.entry.source)
        try await chain.checkInit(entry.arguments, line: line, path: entry.entry.source, initramfs: initramfs, fs: context.fs)
        try await chain.checkDefaultTarget(context.fs)
        return chain
    }

    /// The last value of kernel parameter `name` (the kernel keeps the last);
    /// words after `--` are init's, not the kernel's.
    static func parameter(_ name: String, in arguments: [String]) -> String? {
        let own = arguments.prefix { $0 != "--" }
        return own.last(where: { $0.hasPrefix(name + "=") }).map { String($0.dropFirst(name.count + 1)) }
    }

    package static let biosBootPartition = "21686148-6449-6E6F-744E-656564454649"
    package static let efiSystemPartition = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

    /// This platform's firmware is a BIOS: it runs the code in the disk's
    /// first sector, and GRUB on GPT keeps the rest of itself in a BIOS boot
    /// partition.
    private mutating func checkPlacement(_ facts: OSFacts) {
        let gpt = facts.volumes.contains { $0.gptType != nil }
        if gpt, !facts.volumes.contains(where: { $0.gptType == Self.biosBootPartition }) {
            let uefiOnly = facts.volumes.contains { $0.gptType == Self.efiSystemPartition }
            problems.append(Evidence(path: "/dev/sda (GPT)", uefiOnly
                ? "only an EFI system partition, no BIOS boot partition: the image boots with UEFI only, and this platform boots BIOS"
                : "no BIOS boot partition: GRUB for BIOS has nowhere to keep its core on a GPT disk"))
        }
        switch facts.bootCode {
        case false?: problems.append(Evidence(path: "/dev/sda (first sector)", "no boot code: nothing for the BIOS to start"))
        case nil: notChecked.append("the disk's first sector was not read")
        case true?: stages.append(gpt ? "BIOS boot code and a BIOS boot partition" : "BIOS boot code")
        }
    }

    /// Most modules followed through moddep.lst.
    static let maxModules = 512

    /// GRUB's BIOS core loads `normal` from its module folder to read
    /// grub.cfg (without it, `grub rescue>`); grub.cfg's `insmod`s on the
    /// way to the menu and in the default entry, and the module behind the
    /// entry's `linux` and `initrd` (command.lst), load from there too, each
    /// with the modules moddep.lst says it needs. The folder is the
    /// distribution's (`i386-pc` beside grub.cfg); grub-install copies
    /// every module there, so one missing was removed.
    private mutating func checkModules(_ boot: DefaultBoot, fs: any GuestFilesystem) async throws {
        let folder = GuestPath.directory(of: boot.menu.path) + "/i386-pc"
        guard try await fs.kind(folder) == .directory else {
            return notChecked.append("no \(folder): GRUB's BIOS modules are not where the distribution keeps them")
        }
        func table(_ name: String) async throws -> [String: [String]] {
            guard let size = try await fs.size(folder + "/" + name), size <= 1 << 20, let text = try await fs.read(folder + "/" + name) else { return [:] }
            var table: [String: [String]] = [:]
            for line in text.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).drop { $0 == "*" }
                table[String(key)] = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            }
            return table
        }
        let dependencies = try await table("moddep.lst"), commands = try await table("command.lst")
        if dependencies.isEmpty { notChecked.append("\(folder)/moddep.lst not read: the modules' own dependencies not followed") }
        // Each module wanted, where and why: "what needs it: consequence".
        var wanted: [(module: String, at: Evidence)] = [("normal", Evidence(path: folder, "GRUB's core loads normal.mod to read grub.cfg; without it GRUB stops at grub rescue>"))]
        let entryCommands = boot.entry.map { $0.entry.commands.filter { !$0.conditional } } ?? []
        for command in boot.menu.topLevel + entryCommands {
            let source = entryCommands.contains(command) ? boot.entry?.entry.source ?? boot.menu.path : boot.menu.path
            if command.name == "insmod" {
                for module in command.words.dropFirst() where !module.contains("/") && !module.contains("$") {
                    wanted.append((module, Evidence(path: source, line: command.line.number, "insmod \(module) fails")))
                }
            } else if ["linux", "linux16", "initrd", "initrd16"].contains(command.name), entryCommands.contains(command),
                      let module = commands[command.name]?.first {
                wanted.append((module, Evidence(path: source, line: command.line.number, "\(command.name), a command of \(module).mod (command.lst), is unknown: GRUB cannot load the kernel")))
            }
        }
        var seen: Set<String> = [], missing: [Evidence] = []
        while !wanted.isEmpty, seen.count < Self.maxModules {
            let (module, at) = wanted.removeFirst()
            guard seen.insert(module).inserted else { continue }
            if try await fs.kind("\(folder)/\(module).mod") != .file {
                missing.append(Evidence(path: at.path, line: at.line, "\(module).mod is not in \(folder): \(at.text)"))
            }
            for dependency in dependencies[module] ?? [] {
                wanted.append((dependency, Evidence(path: "\(folder)/moddep.lst", "\(module).mod needs it (moddep.lst)")))
            }
        }
        problems += missing
        if missing.isEmpty { stages.append("GRUB's modules in \(folder) (normal.mod and \(seen.count - 1) more)") }
    }

    /// A path as GRUB reads it: relative to the partition GRUB searched
    /// (the root filesystem, or a separate /boot), a `(hd0,msdos1)` device
    /// prefix dropped.
    /// Returns where the file is in the guest, if it is there.
    private mutating func checkFile(_ file: String, at command: GrubMenu.Command, source: String, fs: any GuestFilesystem) async throws -> String? {
        var name = Substring(file)
        if name.hasPrefix("("), let close = name.firstIndex(of: ")") { name = name[name.index(after: close)...] }
        guard name.hasPrefix("/"), !name.contains("$") else {
            notChecked.append("\(file): a path GRUB works out at boot")
            return nil
        }
        if try await fs.exists(String(name)) { return String(name) }
        if try await fs.exists("/boot" + name) { return "/boot" + name }
        problems.append(Evidence(path: source, line: command.line.number, "\(file) is not on the disk (neither \(name) nor /boot\(name))"))
        return nil
    }

    /// `root=UUID=…`, `LABEL=…`, `PARTUUID=…` (or their `/dev/disk/by-…`
    /// forms) must name a filesystem blkid found on this disk; a device
    /// name (`/dev/vda1`, an LVM volume) is the guest kernel's to resolve.
    private mutating func checkRoot(_ arguments: [String], line: Line, path: String, volumes: [OSFacts.Volume]) {
        guard let root = Self.parameter("root", in: arguments) else { return }
        let forms: [(prefix: String, key: KeyPath<OSFacts.Volume, String?>)] = [
            ("UUID=", \.uuid), ("/dev/disk/by-uuid/", \.uuid), ("LABEL=", \.label), ("/dev/disk/by-label/", \.label),
            ("PARTUUID=", \.partUUID), ("/dev/disk/by-partuuid/", \.partUUID),
        ]
        guard let form = forms.first(where: { root.hasPrefix($0.prefix) }) else { return }
        let wanted = String(root.dropFirst(form.prefix.count))
        if let volume = volumes.first(where: { $0[keyPath: form.key]?.caseInsensitiveCompare(wanted) == .orderedSame }) {
            return stages.append("root=\(root) (\(volume.filesystem) on \(volume.device))")
        }
        guard volumes.allSatisfy({ $0.uuid != nil || $0.filesystem.isEmpty || $0.filesystem == "unknown" }), volumes.contains(where: { $0.uuid != nil }) else {
            notChecked.append("root=\(root): the disk's filesystem identifiers were not read")
            return
        }
        let known = volumes.compactMap { volume in volume[keyPath: form.key].map { "\($0) (\(volume.filesystem))" } }
        problems.append(Evidence(path: path, line: line.number,
                                 "root=\(root) names no filesystem on this disk (its \(form.prefix.hasSuffix("=") ? String(form.prefix.dropLast()) : String(form.prefix)) values: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"))
    }

    /// Words on the command line that boot into a maintenance mode instead
    /// of the system: systemd and SysV init read them wherever they stand.
    static let maintenanceWords: [String: String] = [
        "single": "rescue mode", "s": "rescue mode", "S": "rescue mode", "1": "rescue mode", "rescue": "rescue mode",
        "emergency": "emergency mode", "-b": "emergency mode",
        "systemd.unit=rescue.target": "rescue mode", "systemd.unit=emergency.target": "emergency mode",
        "systemd.unit=rescue": "rescue mode", "systemd.unit=emergency": "emergency mode",
    ]

    private mutating func checkStops(_ arguments: [String], line: Line, path: String) {
        for word in arguments {
            if let mode = Self.maintenanceWords[word] {
                problems.append(Evidence(path: path, line: line.number, "\(word) on the kernel command line: the system starts in \(mode), with no network service and no login from outside"))
            }
        }
    }

    /// Programs that are not an init system, and what the kernel does when
    /// one is its init.
    static let notInit: [String: String] = [
        "false": "it exits at once and the kernel panics", "true": "it exits at once and the kernel panics",
        "nologin": "it exits at once and the kernel panics",
        "sh": "a shell: a root prompt on the console and no service started", "bash": "a shell: a root prompt on the console and no service started",
        "dash": "a shell: a root prompt on the console and no service started", "ash": "a shell: a root prompt on the console and no service started",
        "zsh": "a shell: a root prompt on the console and no service started", "ksh": "a shell: a root prompt on the console and no service started",
    ]

    /// `rdinit=` is run from the initramfs, `init=` from the root filesystem
    /// once it is mounted (by the kernel, or by the initramfs, whose scripts
    /// look for it there): a path that is in neither place ends the boot in
    /// a panic or the initramfs shell, and one that is no init system never
    /// starts the services.
    private mutating func checkInit(_ arguments: [String], line: Line, path: String, initramfs: [String], fs: any GuestFilesystem) async throws {
        if let rdinit = Self.parameter("rdinit", in: arguments), rdinit.hasPrefix("/") {
            var names: Set<String> = [], read = false
            for archive in initramfs {
                // An initramfs past a limit is the virtio rule's to report; here it only leaves rdinit= unchecked.
                guard let listing = try? await fs.initramfsContents(archive) else { continue }
                read = true
                names.formUnion(listing.map { String($0.drop(while: { $0 == "." || $0 == "/" })) })
            }
            let wanted = String(rdinit.drop(while: { $0 == "/" }))
            if !read {
                notChecked.append("rdinit=\(rdinit): no initramfs of the entry could be read")
            } else if !names.contains(wanted) {
                problems.append(Evidence(path: path, line: line.number,
                                         "rdinit=\(rdinit) is not in the initramfs (\(initramfs.joined(separator: ", "))): the kernel has no init to run and panics"))
            }
        }
        guard let initPath = Self.parameter("init", in: arguments), initPath.hasPrefix("/") else { return }
        guard try await fs.exists(initPath) else {
            return problems.append(Evidence(path: path, line: line.number,
                                            "init=\(initPath) is not on the root filesystem: the boot ends in a panic or the initramfs shell"))
        }
        let program = GuestPath.name(of: try await fs.resolve(initPath).last ?? initPath)
        if let what = Self.notInit[program] {
            problems.append(Evidence(path: path, line: line.number, "init=\(initPath) runs \(program), which is not an init system: \(what)"))
        }
    }

    /// systemd starts `default.target` (the link in /etc, else the one its
    /// package ships): rescue and emergency stop before any service.
    private mutating func checkDefaultTarget(_ fs: any GuestFilesystem) async throws {
        for link in ["/etc/systemd/system/default.target", "/lib/systemd/system/default.target", "/usr/lib/systemd/system/default.target"]
        where try await fs.kind(link) != .missing {
            let target = GuestPath.name(of: try await fs.resolve(link).last ?? link)
            if ["rescue.target", "emergency.target", "runlevel1.target"].contains(target) {
                problems.append(Evidence(path: link, "default.target is \(target): systemd starts in \(target == "emergency.target" ? "emergency" : "rescue") mode, with no network service and no login from outside"))
            } else {
                stages.append("default.target \(target)")
            }
            return
        }
    }
}

import ImageGateModel

/// Rules about what a vendor must leave out of the image.
enum CleanlinessRules {
    static let dataEmpty = Rule(
        "LNX-DATA-EMPTY", .error, title: "/data empty or absent",
        required: "/data is empty or absent (it is the data disk's mount point; files there break the automatic mount)",
        fix: "Move everything out of /data (rm -rf /data/* after moving the files elsewhere).",
        chinese: RuleText(title: "/data 为空或不存在", required: "/data 为空或不存在（它是数据盘挂载点，有文件会导致新机器数据盘无法自动挂载）", fix: "把 /data 中的文件移到其他目录，保持 /data 为空。")
    ) { context in
        switch try await context.fs.kind("/data") {
        case .missing: return .pass("/data is absent")
        case .directory:
            let names = try await context.fs.list("/data") ?? []
            if names.isEmpty { return .pass("/data is an empty directory") }
            return .violated("/data holds \(names.count) entr\(names.count == 1 ? "y" : "ies")",
                             names.sorted().prefix(20).map { Evidence(path: "/data/" + $0, "present") })
        case .symlink:
            let target = try await context.fs.readLink("/data") ?? "?"
            return .violated("/data is a symlink", [Evidence(path: "/data", "-> \(target)")])
        case .file, .other:
            return .violated("/data is not a directory", [Evidence(path: "/data", "a file")])
        }
    }

    /// Files the guide gives verbatim, and what each must say.
    static let platformFiles: [(path: String, lines: [String])] = [
        ("/etc/modprobe.d/blacklist-nouv.conf", ["blacklist nouveau", "options nouveau modeset=0"]),
        ("/etc/modprobe.d/mlx5.conf", ["softdep mlx5_core pre: virtio_net"]),
    ]

    static let protectedFiles = Rule(
        "LNX-PROTECTED-FILES", .warning, title: "Platform-owned files left as the platform wrote them",
        required: "blacklist-nouv.conf, mlx5.conf, grub.cfg, /etc/default/grub, 99-default.link and 00-server.conf, where present, are as the guide writes them",
        fix: "Restore each listed file to the guide's content (the failing rule for that file says how) and do not edit these files afterwards.",
        chinese: RuleText(title: "平台文件保持平台写入的内容", required: "blacklist-nouv.conf、mlx5.conf、grub.cfg、/etc/default/grub、99-default.link、00-server.conf（如存在）保持指南给出的内容", fix: "把列出的文件恢复为指南给出的内容（对应规则给出方法），之后不要修改这些文件。")
    ) { context in
        var changed: [Evidence] = []
        for (path, expected) in platformFiles {
            guard let lines = try await context.fs.lines(path) else { continue }
            let actual = lines.filter { !$0.isCommentOrBlank }.map { KernelRules.fold($0.text) }
            if actual != expected.map(KernelRules.fold) { changed.append(Evidence(path: path, "differs from the guide's content")) }
        }
        // The others: the guide sets particular lines; their own rules check them.
        let related: [(Rule, String)] = [
            (BootLoaderRules.grubDefault, "/etc/default/grub"), (BootLoaderRules.grubConfig, "grub.cfg"),
            (NetworkRules.alternativeNames, "99-default.link"), (NetworkRules.networkManagerServerConf, "00-server.conf"),
        ]
        for (rule, name) in related {
            if case let .violated(found, evidence, _) = try await rule.check(context) {
                let missingFile = evidence.contains { $0.text == "file not found" }
                // What the rule found in the file itself (not on the disk's boot sector, say).
                guard let inFile = evidence.first(where: { !($0.path ?? "").hasPrefix("/dev/") }) else { continue }
                if !missingFile { changed.append(Evidence(path: inFile.path, "\(name): \(found) (see \(rule.id))")) }
            }
        }
        return changed.isEmpty ? .pass("the platform's files, where present, are as the guide writes them")
            : .violated("\(changed.count) platform file(s) changed", changed)
    }

    /// Shell and tool histories, relative to a home folder.
    static let historyFiles = [".bash_history", ".zsh_history", ".history", ".sh_history", ".python_history", ".mysql_history", ".psql_history", ".lesshst", ".viminfo"]

    /// Non-empty history files, each home and file looked at on its own;
    /// with why the others could not be.
    static func nonEmptyHistories(_ fs: any GuestFilesystem) async -> (found: [Evidence], unreadable: [String]) {
        var found: [Evidence] = []
        let (homes, problems) = await Account.homesAndProblems(fs)
        var unreadable = problems.map { "\($0)" }
        // /etc/skel's files are copied into every home made later.
        for home in homes + [SSHAccess.skeleton] {
            for name in historyFiles {
                let path = home + "/" + name
                do {
                    if let size = try await fs.size(path), size > 0 {
                        found.append(Evidence(path: path, home == SSHAccess.skeleton ? "\(size) bytes, inherited by every new account" : "\(size) bytes"))
                    }
                } catch { unreadable.append("\(error)") }
            }
        }
        return (found, unreadable.uniqued())
    }

    static let historyClean = Rule(
        "LNX-HISTORY-CLEAN", .warning, title: "Histories, build logs and login records cleaned",
        required: "no shell histories, no login records (wtmp, btmp, lastlog), no cloud-init logs from the build",
        fix: "Before capturing: rm -f /root/.*_history /home/*/.*_history; truncate -s 0 /var/log/wtmp /var/log/btmp /var/log/lastlog; rm -f /var/log/cloud-init*.log",
        chinese: RuleText(title: "已清理历史记录和日志", required: "无 shell 历史、无登录记录（wtmp、btmp、lastlog）、无制作过程的 cloud-init 日志", fix: "制作镜像前：rm -f /root/.*_history /home/*/.*_history；truncate -s 0 /var/log/wtmp /var/log/btmp /var/log/lastlog；rm -f /var/log/cloud-init*.log")
    ) { context in
        var (found, unreadable) = await nonEmptyHistories(context.fs)
        for path in ["/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog", "/var/log/cloud-init.log", "/var/log/cloud-init-output.log"] {
            do {
                if let size = try await context.fs.size(path), size > 0 { found.append(Evidence(path: path, "\(size) bytes")) }
            } catch { unreadable.append("\(error)") }
        }
        if !found.isEmpty { return .violated("\(found.count) file(s) to clean", found) }
        return unreadable.isEmpty ? .pass("no histories, login records or build logs") : .couldNotCheck(unreadable.joined(separator: "; "))
    }
}

/// ImageGate's own security rules: nothing of the vendor's access or
/// identity ships inside an image sold to strangers.
enum SecurityRules {
    static let authorizedKeys = Rule(
        "SEC-AUTHORIZED-KEYS", .error, title: "No authorized SSH keys",
        required: "no authorized_keys with keys for any user, root included",
        fix: "Delete every authorized_keys file: rm -f /root/.ssh/authorized_keys* /home/*/.ssh/authorized_keys* (cloud-init installs the buyer's key on first boot).",
        chinese: RuleText(title: "无 SSH 授权公钥", required: "任何用户（包括 root）都没有 authorized_keys 公钥", fix: "删除所有 authorized_keys：rm -f /root/.ssh/authorized_keys* /home/*/.ssh/authorized_keys*（买家的公钥由 cloud-init 在首次启动时写入）。")
    ) { context in
        // Each file on its own: a key found anywhere fails the rule, whatever
        // happened to the other files (sshd reads each file on its own too,
        // and skips one that is not a regular file).
        var keys: [Evidence] = [], skipped: [Evidence] = []
        let (homes, problems) = await Account.homesAndProblems(context.fs)
        var unreadable = problems.map { "\($0)" }
        for home in homes {
            for name in ["authorized_keys", "authorized_keys2"] {
                let path = home + "/.ssh/" + name
                switch await context.fs.readRegular(path) {
                case .absent: continue
                case .text(let text):
                    for line in Line.split(text) where !line.isCommentOrBlank {
                        let words = line.trimmed.split(separator: " ")
                        let summary = words.count >= 2 ? "\(words[0]) \(words[1].prefix(16))… \(words.count > 2 ? words[2...].joined(separator: " ") : "")" : line.trimmed
                        keys.append(Evidence(path: path, line: line.number, summary))
                    }
                case .notRegular(let why): skipped.append(Evidence(path: path, "\(why): sshd skips it"))
                case .unreadable(let why): unreadable.append(why)
                }
            }
        }
        if !keys.isEmpty { return .violated("\(keys.count) authorized key(s)", keys + skipped) }
        if !unreadable.isEmpty { return .couldNotCheck(unreadable.joined(separator: "; "), skipped) }
        return .pass(skipped.isEmpty ? "no authorized keys" : "no authorized keys (\(skipped.count) path(s) that are not files)", skipped)
    }

    static let passwordHash = Rule(
        "SEC-PASSWORD-HASH", .error, title: "No usable passwords",
        required: "no usable password hash in /etc/shadow (every account locked, '*' or '!'), and no empty password",
        fix: "Lock every password: passwd -l root (and each user), or usermod -p '*' USER; never ship an empty password.",
        chinese: RuleText(title: "无可用密码", required: "/etc/shadow 中无可用的密码哈希（所有账户锁定、为 * 或 !），且无空密码", fix: "锁定所有密码：passwd -l root（及每个用户）或 usermod -p '*' 用户名；不可出现空密码。")
    ) { context in
        guard let lines = try await context.fs.lines("/etc/shadow") else { return .couldNotCheck("/etc/shadow is missing") }
        var usable: [Evidence] = []
        for line in lines where !line.isCommentOrBlank {
            let fields = line.text.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            let hash = fields[1]
            if hash.isEmpty {
                usable.append(Evidence(path: "/etc/shadow", line: line.number, "\(fields[0]): empty password"))
            } else if !hash.hasPrefix("!") && !hash.hasPrefix("*") {
                usable.append(Evidence(path: "/etc/shadow", line: line.number, "\(fields[0]): password hash \(hash.prefix(3))…"))
            }
        }
        return usable.isEmpty ? .pass("every account is locked") : .violated("\(usable.count) account(s) with a usable or empty password", usable)
    }

    static let sshHostKeys = Rule(
        "SEC-SSH-HOST-KEYS", .error, title: "No SSH host keys shipped",
        required: "no /etc/ssh/ssh_host_* keys (each instance generates its own)",
        fix: "rm -f /etc/ssh/ssh_host_* before capturing (cloud-init or sshd-keygen creates new keys on first boot).",
        chinese: RuleText(title: "不带 SSH 主机密钥", required: "无 /etc/ssh/ssh_host_* 密钥（每个实例自行生成）", fix: "制作镜像前 rm -f /etc/ssh/ssh_host_*（首次启动时由 cloud-init 或 sshd-keygen 生成新密钥）。")
    ) { context in
        let keys = (try await context.fs.list("/etc/ssh") ?? []).filter { $0.hasPrefix("ssh_host_") }.sorted()
        return keys.isEmpty ? .pass("no host keys in /etc/ssh")
            : .violated("\(keys.count) host key file(s)", keys.map { Evidence(path: "/etc/ssh/" + $0, "present") })
    }

    static let machineID = Rule(
        "SEC-MACHINE-ID", .error, title: "Empty machine-id",
        required: "/etc/machine-id empty or absent in the image (systemd makes a unique one on first boot)",
        fix: "truncate -s 0 /etc/machine-id; rm -f /var/lib/dbus/machine-id (or make it a symlink to /etc/machine-id).",
        chinese: RuleText(title: "machine-id 为空", required: "镜像中 /etc/machine-id 为空或不存在（systemd 首次启动时生成唯一值）", fix: "truncate -s 0 /etc/machine-id; rm -f /var/lib/dbus/machine-id（或改为指向 /etc/machine-id 的软链接）。")
    ) { context in
        var set: [Evidence] = []
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] where try await context.fs.kind(path) == .file {
            let id = (try await context.fs.read(path) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty, id != "uninitialized" { set.append(Evidence(path: path, id)) }
        }
        return set.isEmpty ? .pass("machine-id is empty") : .violated("machine-id is set", set)
    }

    /// sshd's effective setting for `keyword`: the first one it reads wins,
    /// following `Include` in order (as sshd does).
    static func sshdSetting(_ keyword: String, fs: any GuestFilesystem) async throws -> Evidence? {
        func scan(_ path: String, depth: Int) async throws -> Evidence? {
            guard depth < 4 else { return nil }
            for line in try await fs.lines(path) ?? [] where !line.isCommentOrBlank {
                let words = line.trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).map(String.init)
                guard let first = words.first?.lowercased() else { continue }
                if first == "match" { return nil }  // only global settings count
                if first == "include" {
                    for pattern in words.dropFirst() {
                        let full = pattern.hasPrefix("/") ? pattern : "/etc/ssh/" + pattern
                        for file in try await expand(full, fs: fs) {
                            if let found = try await scan(file, depth: depth + 1) { return found }
                        }
                    }
                } else if first == keyword.lowercased(), words.count >= 2 {
                    return .at(path, line)
                }
            }
            return nil
        }
        return try await scan("/etc/ssh/sshd_config", depth: 0)
    }

    /// A path with a `*` in its last component, expanded and sorted.
    static func expand(_ pattern: String, fs: any GuestFilesystem) async throws -> [String] {
        guard pattern.contains("*") else { return [pattern] }
        let dir = GuestPath.directory(of: pattern)
        let name = String(pattern.split(separator: "/").last ?? "")
        let parts = name.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        return (try await fs.list(dir) ?? []).sorted().filter { file in
            file.hasPrefix(parts.first ?? "") && file.hasSuffix(parts.last ?? "")
        }.map { dir + "/" + $0 }
    }

    static let sshdRootPassword = Rule(
        "SEC-SSHD-PASSWORD-ROOT", .warning, title: "No root login with a password over SSH",
        required: "sshd's PermitRootLogin is no or prohibit-password (the default)",
        fix: "Set PermitRootLogin prohibit-password (or no) in /etc/ssh/sshd_config and remove any PermitRootLogin yes from /etc/ssh/sshd_config.d/.",
        chinese: RuleText(title: "禁止 root 用密码登录 SSH", required: "sshd 的 PermitRootLogin 为 no 或 prohibit-password（默认值）", fix: "在 /etc/ssh/sshd_config 中设置 PermitRootLogin prohibit-password（或 no），并删除 /etc/ssh/sshd_config.d/ 中的 PermitRootLogin yes。")
    ) { context in
        guard try await context.fs.exists("/etc/ssh/sshd_config") else { return .notApplicable("no sshd configuration") }
        guard let setting = try await sshdSetting("PermitRootLogin", fs: context.fs) else {
            return .pass("PermitRootLogin not set: OpenSSH's default prohibit-password")
        }
        let value = setting.text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).dropFirst().first.map { $0.lowercased() } ?? ""
        return value == "yes" ? .violated("PermitRootLogin yes", [setting]) : .pass("PermitRootLogin \(value)", [setting])
    }

    static let history = Rule(
        "SEC-HISTORY", .warning, title: "Shell histories empty",
        required: "shell history files empty (bash, zsh, python, mysql, less, ...)",
        fix: "rm -f /root/.*_history /root/.lesshst /home/*/.*_history /home/*/.lesshst; history -c before logging out.",
        chinese: RuleText(title: "shell 历史为空", required: "shell 历史文件为空（bash、zsh、python、mysql、less 等）", fix: "rm -f /root/.*_history /root/.lesshst /home/*/.*_history /home/*/.lesshst；退出前执行 history -c。")
    ) { context in
        let (found, unreadable) = await CleanlinessRules.nonEmptyHistories(context.fs)
        if !found.isEmpty { return .violated("\(found.count) history file(s)", found) }
        return unreadable.isEmpty ? .pass("no history files with content") : .couldNotCheck(unreadable.joined(separator: "; "))
    }
}

import Foundation

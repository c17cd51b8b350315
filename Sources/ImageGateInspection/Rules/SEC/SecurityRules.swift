import ImageGateModel

/// ImageGate's own security rules: nothing of the vendor's access or
/// identity ships inside an image sold to strangers.
package enum SecurityRules {
    package static let authorizedKeys = Rule(
        "SEC-AUTHORIZED-KEYS", .error, title: "No authorized SSH keys",
        required: "no key sshd would accept for any account, root included, or one made later: no key in any file AuthorizedKeysFile names (default ~/.ssh/authorized_keys and authorized_keys2) in a home or in /etc/skel, none in cloud-init's configuration (ssh_authorized_keys, users:), no AuthorizedKeysCommand, no TrustedUserCAKeys",
        fix: "Delete every authorized_keys file sshd reads (rm -f /root/.ssh/authorized_keys* /home/*/.ssh/authorized_keys* /etc/skel/.ssh/authorized_keys*, and each account's file where AuthorizedKeysFile points), remove ssh_authorized_keys from /etc/cloud/cloud.cfg and cloud.cfg.d, and remove AuthorizedKeysCommand and TrustedUserCAKeys from sshd_config and sshd_config.d/ (cloud-init installs the buyer's key on first boot).",
        chinese: RuleText(title: "无 SSH 授权公钥", required: "sshd 不会为任何账户（包括 root 及以后新建的账户）接受任何公钥：AuthorizedKeysFile 指向的文件（默认 ~/.ssh/authorized_keys 和 authorized_keys2）在各家目录和 /etc/skel 中均无公钥，cloud-init 配置（ssh_authorized_keys、users:）中无公钥，且未设置 AuthorizedKeysCommand 和 TrustedUserCAKeys", fix: "删除 sshd 读取的所有 authorized_keys 文件（rm -f /root/.ssh/authorized_keys* /home/*/.ssh/authorized_keys* /etc/skel/.ssh/authorized_keys*，以及 AuthorizedKeysFile 为各账户指向的文件），从 /etc/cloud/cloud.cfg 和 cloud.cfg.d 删除 ssh_authorized_keys，并从 sshd_config 和 sshd_config.d/ 中删除 AuthorizedKeysCommand 和 TrustedUserCAKeys（买家的公钥由 cloud-init 在首次启动时写入）。")
    ) { context in
        // Each file on its own: a key found anywhere fails the rule, whatever
        // happened to the other files (sshd reads each file on its own too,
        // and skips one that is not a regular file).
        var access = await SSHAccess.read(context.fs, config: try await SSHDConfig.read(context.fs))
        access.keys += try await CloudConfig.read(context.fs)?.authorizedKeys() ?? []
        if !access.keys.isEmpty || !access.grants.isEmpty {
            let found = [access.keys.isEmpty ? nil : "\(access.keys.count) authorized key(s)",
                         access.grants.isEmpty ? nil : "\(access.grants.count) setting(s) granting access to keys not in the image"]
            return .violated(found.compactMap { $0 }.joined(separator: "; "), access.keys + access.grants + access.skipped)
        }
        if !access.unreadable.isEmpty { return .couldNotCheck(access.unreadable.joined(separator: "; "), access.skipped) }
        let skipped = access.skipped.isEmpty ? "" : " (\(access.skipped.count) path(s) that are not files)"
        return .pass("no authorized keys in the \(access.filesRead) key file(s) sshd would read\(skipped)", access.skipped)
    }

    static let passwordHash = Rule(
        "SEC-PASSWORD-HASH", .error, title: "No usable passwords",
        required: "no usable password hash in /etc/shadow (every account locked, '*' or '!'), no empty password, and none that cloud-init's configuration sets on every instance (password, chpasswd, a user's passwd, hashed_passwd or plain_text_passwd)",
        fix: "Lock every password: passwd -l root (and each user), or usermod -p '*' USER; never ship an empty password; remove password, chpasswd and users' passwd, hashed_passwd and plain_text_passwd from /etc/cloud/cloud.cfg and cloud.cfg.d.",
        chinese: RuleText(title: "无可用密码", required: "/etc/shadow 中无可用的密码哈希（所有账户锁定、为 * 或 !），无空密码，且 cloud-init 配置不为每个实例设置密码（password、chpasswd、用户的 passwd、hashed_passwd、plain_text_passwd）", fix: "锁定所有密码：passwd -l root（及每个用户）或 usermod -p '*' 用户名；不可出现空密码；从 /etc/cloud/cloud.cfg 和 cloud.cfg.d 删除 password、chpasswd 及用户的 passwd、hashed_passwd、plain_text_passwd。")
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
        usable += try await CloudConfig.read(context.fs)?.passwords() ?? []
        return usable.isEmpty ? .pass("every account is locked, and cloud-init sets no password") : .violated("\(usable.count) usable or empty password(s)", usable)
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

    package static let sshdRootPassword = Rule(
        "SEC-SSHD-PASSWORD-ROOT", .warning, title: "No root login with a password over SSH",
        required: "sshd's PermitRootLogin is no or prohibit-password (the default)",
        fix: "Set PermitRootLogin prohibit-password (or no) in /etc/ssh/sshd_config and remove any PermitRootLogin yes from /etc/ssh/sshd_config.d/.",
        chinese: RuleText(title: "禁止 root 用密码登录 SSH", required: "sshd 的 PermitRootLogin 为 no 或 prohibit-password（默认值）", fix: "在 /etc/ssh/sshd_config 中设置 PermitRootLogin prohibit-password（或 no），并删除 /etc/ssh/sshd_config.d/ 中的 PermitRootLogin yes。")
    ) { context in
        guard let config = try await SSHDConfig.read(context.fs) else { return .notApplicable("no sshd configuration") }
        let global = config.effective("PermitRootLogin")
        let yes = ([global].compactMap { $0 } + config.conditional("PermitRootLogin")).filter { $0.values.first?.lowercased() == "yes" }
        if let first = yes.first {
            return .violated("PermitRootLogin yes" + (first.match.map { " under \($0)" } ?? ""), yes.map(\.evidence))
        }
        guard let global else { return .pass("PermitRootLogin not set: OpenSSH's default prohibit-password") }
        return .pass("PermitRootLogin \(global.values.first?.lowercased() ?? "")", [global.evidence])
    }

    package static let history = Rule(
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

import Foundation
import ImageGateModel

/// What lets someone in over SSH, read as sshd would decide it: for every
/// account in `/etc/passwd` (whatever its uid or shell: a `nologin`
/// account with a key still opens tunnels), each `AuthorizedKeysFile`
/// pattern (sshd's default `.ssh/authorized_keys .ssh/authorized_keys2`)
/// with `%h`, `%u`, `%U` and `%%` expanded and a relative path taken from
/// the home; and the settings that hand access to something else
/// (`AuthorizedKeysCommand`, `TrustedUserCAKeys`). Homes under `/home`
/// without an account are read with the default patterns too: a key left
/// there is still the vendor's; so is root's in `/root`, whatever the
/// passwd file says; so is one in `/etc/skel`, which every account made
/// later inherits (each pattern relative to the home, read there).
struct SSHAccess: Sendable {
    /// One key line, where it is.
    var keys: [Evidence] = []
    /// Settings that grant access sshd asks something else about.
    var grants: [Evidence] = []
    /// Key paths that are not regular files (sshd skips them).
    var skipped: [Evidence] = []
    var unreadable: [String] = []
    var filesRead = 0

    static let defaultPatterns = [".ssh/authorized_keys", ".ssh/authorized_keys2"]
    /// What `useradd -m` copies into every new home.
    static let skeleton = "/etc/skel"
    static let maxPaths = 8192

    static func read(_ fs: any GuestFilesystem, config: SSHDConfig?) async -> SSHAccess {
        var access = SSHAccess()
        access.unreadable += config?.problems ?? []
        let patterns = keyFilePatterns(config)
        var accounts: [Account] = []
        do { accounts = try await Account.all(fs) } catch { access.unreadable.append("\(error)") }
        // root's home is read even when the passwd file does not say so.
        if !accounts.contains(where: { $0.uid == 0 }) { accounts.append(Account(name: "root", uid: 0, home: "/root", shell: "/bin/sh")) }
        var owners: [String: [String]] = [:], order: [String] = []
        func add(_ path: String, _ user: String) {
            if owners[path] == nil { order.append(path) }
            owners[path, default: []].append(user)
        }
        for account in accounts {
            let who = "\(account.name), shell \(account.shell.isEmpty ? "(none)" : account.shell)"
            for pattern in patterns { if let path = expand(pattern, for: account) { add(path, who) } }
        }
        // Every account made later (useradd -m, cloud-init's default user)
        // starts with a copy of /etc/skel: a key there is in each new home.
        let newAccount = Account(name: "(new account)", uid: -1, home: skeleton, shell: "")
        for pattern in patterns where !pattern.contains("%u") && !pattern.contains("%U") && (!pattern.hasPrefix("/") || pattern.hasPrefix("%h")) {
            if let path = expand(pattern, for: newAccount) { add(path, "every new account: useradd -m and cloud-init's default user copy \(skeleton)") }
        }
        do {
            let known = Set(accounts.map(\.home))
            for name in try await fs.list("/home") ?? [] where !known.contains("/home/" + name) {
                for pattern in defaultPatterns { add("/home/\(name)/\(pattern)", "\(name), no account") }
            }
        } catch { access.unreadable.append("\(error)") }
        if order.count > maxPaths {
            access.unreadable.append("\(order.count) key file paths: only the first \(maxPaths) read")
            order = Array(order.prefix(maxPaths))
        }
        for path in order { await access.readKeys(path, users: owners[path] ?? [], fs: fs) }
        access.grants = grantingSettings(config)
        return access
    }

    /// The `AuthorizedKeysFile` patterns sshd may use: the effective one
    /// (or the default) and every one under a `Match`; `none` reads none.
    static func keyFilePatterns(_ config: SSHDConfig?) -> [String] {
        let global = config?.effective("authorizedkeysfile").map(\.values) ?? defaultPatterns
        let conditional = config?.conditional("authorizedkeysfile").flatMap(\.values) ?? []
        var seen = Set<String>()
        return (global + conditional).filter { $0.lowercased() != "none" && seen.insert($0).inserted }
    }

    /// `pattern` for `account`, as sshd expands it; nil for a token sshd
    /// does not know (it refuses such a file).
    static func expand(_ pattern: String, for account: Account) -> String? {
        var path = "", characters = pattern.makeIterator()
        while let character = characters.next() {
            guard character == "%" else { path.append(character); continue }
            switch characters.next() {
            case "%": path += "%"
            case "h": path += account.home
            case "u": path += account.name
            case "U": path += String(account.uid)
            default: return nil
            }
        }
        return GuestPath.join(account.home.isEmpty ? "/" : account.home, path)
    }

    private mutating func readKeys(_ path: String, users: [String], fs: any GuestFilesystem) async {
        let whose = "for " + users.prefix(3).joined(separator: "; ") + (users.count > 3 ? " and \(users.count - 3) more" : "")
        switch await fs.readRegular(path) {
        case .absent: return
        case .text(let text):
            filesRead += 1
            for line in Line.split(text) where !line.isCommentOrBlank {
                let words = line.trimmed.split(separator: " ")
                let summary = words.count >= 2 ? "\(words[0]) \(words[1].prefix(16))… \(words.count > 2 ? words[2...].joined(separator: " ") : "")" : line.trimmed
                keys.append(Evidence(path: path, line: line.number, "\(summary) (\(whose))"))
            }
        case .notRegular(let why): skipped.append(Evidence(path: path, "\(why): sshd skips it"))
        case .unreadable(let why): unreadable.append(why)
        }
    }

    /// `AuthorizedKeysCommand` and `TrustedUserCAKeys` set to anything but
    /// `none`, global or under a `Match`.
    static func grantingSettings(_ config: SSHDConfig?) -> [Evidence] {
        guard let config else { return [] }
        let meanings = ["authorizedkeyscommand": "sshd asks this program for keys at each login",
                        "trustedusercakeys": "sshd accepts every user certificate these CA keys signed"]
        var found: [Evidence] = []
        for keyword in meanings.keys.sorted() {
            for setting in [config.effective(keyword)].compactMap({ $0 }) + config.conditional(keyword)
            where !setting.values.isEmpty && setting.values.first?.lowercased() != "none" {
                var evidence = setting.evidence
                evidence.text += " — \(meanings[keyword]!)" + (setting.match.map { " (under \($0))" } ?? "")
                found.append(evidence)
            }
        }
        return found
    }
}

import ImageGateModel
import Yams

/// The keys and passwords cloud-init's merged configuration installs on
/// every instance it starts: `ssh_authorized_keys` at the top, under
/// `system_info.default_user`, and for each entry of `users:`; the
/// default user's `password`, `chpasswd`'s list and users, and each user's
/// `passwd`, `hashed_passwd` and `plain_text_passwd`.
extension CloudConfig {
    /// Most entries of a list read.
    static let maxEntries = 1024

    func authorizedKeys() -> [Evidence] {
        var found: [Evidence] = []
        func keys(_ node: Node?, in value: Value, whose: String) {
            guard let node else { return }
            for key in (node.sequence.map { Array($0.prefix(Self.maxEntries)) } ?? [node]) {
                guard let text = key.scalar?.string, !text.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                let words = text.split(separator: " ")
                let summary = words.count >= 2 ? "\(words[0]) \(words[1].prefix(16))…" : String(text.prefix(24))
                found.append(Evidence(path: value.file, line: key.mark?.line ?? value.line,
                                      "\(summary) (cloud-init installs it for \(whose) on every instance)"))
            }
        }
        if let top = value("ssh_authorized_keys") { keys(top.node, in: top, whose: "the default user") }
        if let user = value("system_info", "default_user", "ssh_authorized_keys") { keys(user.node, in: user, whose: "the default user") }
        if let users = value("users") {
            for entry in users.node.sequence.map({ Array($0.prefix(Self.maxEntries)) }) ?? [] {
                guard let mapping = entry.mapping else { continue }
                let name = mapping["name"]?.string ?? "a user"
                keys(mapping["ssh_authorized_keys"] ?? mapping["ssh-authorized-keys"], in: users, whose: name)
            }
        }
        return found
    }

    func passwords() -> [Evidence] {
        var found: [Evidence] = []
        func password(_ node: Node?, _ field: String, of whose: String, in value: Value) {
            guard let text = node?.scalar?.string, !text.isEmpty, !["R", "RANDOM"].contains(text) else { return }
            let shown = text.hasPrefix("$") ? "a hash \(text.prefix(3))…" : "a password in clear"
            found.append(Evidence(path: value.file, line: node?.mark?.line ?? value.line, "\(field) for \(whose): \(shown) (cloud-init sets it on every instance)"))
        }
        if let top = value("password") { password(top.node, "password", of: "the default user", in: top) }
        if let users = value("users") {
            for entry in users.node.sequence.map({ Array($0.prefix(Self.maxEntries)) }) ?? [] {
                guard let mapping = entry.mapping else { continue }
                let name = mapping["name"]?.string ?? "a user"
                for field in ["passwd", "hashed_passwd", "plain_text_passwd"] { password(mapping[field], field, of: name, in: users) }
            }
        }
        if let list = value("chpasswd", "list") {
            // `user:password` lines, as one text or a list.
            let lines = list.node.sequence.map { Array($0.prefix(Self.maxEntries)).compactMap(\.scalar?.string) }
                ?? (list.node.scalar?.string.split(separator: "\n").map(String.init) ?? [])
            for line in lines.prefix(Self.maxEntries) {
                let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
                // R and RANDOM: a password each instance makes for itself.
                guard parts.count == 2, !parts[1].isEmpty, !["R", "RANDOM"].contains(parts[1]) else { continue }
                found.append(Evidence(path: list.file, line: list.line, "chpasswd list for \(parts[0]): \(parts[1].hasPrefix("$") ? "a hash \(parts[1].prefix(3))…" : "a password in clear") (cloud-init sets it on every instance)"))
            }
        }
        if let users = value("chpasswd", "users") {
            for entry in users.node.sequence.map({ Array($0.prefix(Self.maxEntries)) }) ?? [] {
                guard let mapping = entry.mapping else { continue }
                password(mapping["password"], "chpasswd users password", of: mapping["name"]?.string ?? "a user", in: users)
            }
        }
        return found
    }
}

import ImageGateModel

/// The guest's users, from /etc/passwd.
struct Account: Sendable {
    var name: String
    var uid: Int
    var home: String
    var shell: String

    static func all(_ fs: any GuestFilesystem) async throws -> [Account] {
        (try await fs.lines("/etc/passwd") ?? []).compactMap { line in
            let fields = line.text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 7, let uid = Int(fields[2]) else { return nil }
            return Account(name: fields[0], uid: uid, home: fields[5], shell: fields[6])
        }
    }

    /// Home folders that may hold a person's files — root's, those of uid 0
    /// and uid 1000 and up, and /home/* even without a passwd entry — each
    /// source read on its own: what could be listed, and why the rest could
    /// not (an unreadable passwd, an unmounted /home).
    static func homesAndProblems(_ fs: any GuestFilesystem) async -> (homes: [String], problems: [Error]) {
        var homes = ["/root"], problems: [Error] = []
        do {
            for account in try await all(fs) where account.uid >= 1000 || account.uid == 0 {
                if !account.home.isEmpty, account.home != "/", !homes.contains(account.home) { homes.append(account.home) }
            }
        } catch { problems.append(error) }
        do {
            for name in try await fs.list("/home") ?? [] where !homes.contains("/home/" + name) {
                homes.append("/home/" + name)
            }
        } catch { problems.append(error) }
        return (homes, problems)
    }
}

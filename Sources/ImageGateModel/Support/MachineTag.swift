import Foundation

/// This machine's short tag (the first 8 characters of `/etc/machine-id`,
/// else of its host name's hash): what a remote host's run volumes and
/// domains carry, so each machine reaps only its own leftovers there.
package enum MachineTag {
    package static let current: String = {
        // No machine-id: the hostname stands in (below).
        let id = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if id.count >= 8, id.allSatisfy(\.isHexDigit) { return String(id.prefix(8)).lowercased() }
        let name = ProcessInfo.processInfo.hostName
        return String(format: "%08x", name.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 })
    }()
}

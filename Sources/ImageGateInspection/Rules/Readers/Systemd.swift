import ImageGateModel

/// How a systemd unit is set up in the image, read from the unit files and
/// the symlinks `systemctl enable` / `mask` leave (no systemd runs).
struct UnitState: Sendable {
    var installed: [String] = []
    var enabledBy: [String] = []
    var maskedBy: [String] = []

    var isInstalled: Bool { !installed.isEmpty }
    var isEnabled: Bool { !enabledBy.isEmpty && maskedBy.isEmpty }
    var isMasked: Bool { !maskedBy.isEmpty }

    static let unitDirectories = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]

    /// Reads the state of `unit` (e.g. `auditd.service`), counting `aliases`
    /// (e.g. firewalld's D-Bus alias) as enabling links too.
    static func read(_ unit: String, aliases: [String] = [], sysv: String? = nil, in fs: any GuestFilesystem) async throws -> UnitState {
        var state = UnitState()
        for dir in unitDirectories {
            let path = dir + "/" + unit
            let kind = try await fs.kind(path)
            if kind == .symlink, let target = try await fs.readLink(path), target == "/dev/null" {
                state.maskedBy.append(path)
            } else if kind != .missing, dir != "/etc/systemd/system" || kind == .file {
                state.installed.append(path)
            }
        }
        // Enabling symlinks: /etc/systemd/system/*.wants|*.requires/<unit>.
        for entry in (try await fs.list("/etc/systemd/system") ?? []).sorted()
        where entry.hasSuffix(".wants") || entry.hasSuffix(".requires") {
            let path = "/etc/systemd/system/\(entry)/\(unit)"
            if try await fs.kind(path) != .missing { state.enabledBy.append(path) }
        }
        for alias in aliases {
            let path = "/etc/systemd/system/" + alias
            if try await fs.kind(path) == .symlink { state.enabledBy.append(path) }
        }
        // A SysV init script started in a multi-user runlevel.
        if let sysv, try await fs.exists("/etc/init.d/" + sysv), state.installed.isEmpty {
            state.installed.append("/etc/init.d/" + sysv)
            for level in 2...5 {
                for name in try await fs.list("/etc/rc\(level).d") ?? [] where name.hasPrefix("S") && name.dropFirst(3) == sysv {
                    state.enabledBy.append("/etc/rc\(level).d/\(name)")
                }
            }
        }
        return state
    }
}

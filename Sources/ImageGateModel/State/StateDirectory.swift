import Foundation

/// Where ImageGate keeps its working files: the embedded libvirt root, and
/// one folder per run (overlays, seeds, console logs), reaped when a crashed
/// run left them behind.
public struct StateDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `$IMAGEGATE_STATE_DIR`, else `$XDG_STATE_HOME/imagegate`, else
    /// `~/.local/state/imagegate`.
    public static var `default`: StateDirectory {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["IMAGEGATE_STATE_DIR"], !dir.isEmpty { return StateDirectory(path: dir) }
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.local/state")
        return StateDirectory(path: base + "/imagegate")
    }

    /// Makes the folder (0700) if it is missing, refuses one that is not
    /// this user's or that others may write — what ImageGate reads back
    /// from it (kept records, run folders, libvirt's root) must be its own —
    /// and closes one that others may read (what is in it is the vendors').
    public func secure() throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // The folder itself, through a symlink if it is one: its owner and
        // mode are what count.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ImageGateError.badInput("\(path): cannot read the state folder: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ImageGateError.badInput("\(path): the state folder is not a folder") }
        guard info.st_uid == geteuid() else {
            throw ImageGateError.badInput("\(path): the state folder belongs to user \(info.st_uid), not to this user (\(geteuid())); set IMAGEGATE_STATE_DIR to a folder of your own")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw ImageGateError.badInput("\(path): the state folder is writable by \(info.st_mode & 0o020 != 0 ? "its group" : "others") (mode \(String(info.st_mode & 0o7777, radix: 8))); chmod 700 it or set IMAGEGATE_STATE_DIR to a folder of your own")
        }
        if info.st_mode & 0o077 != 0, chmod(path, 0o700) != 0 {
            throw ImageGateError.badInput("\(path): the state folder is readable by others and cannot be closed: \(String(cString: strerror(errno)))")
        }
    }

    /// Root of libvirt's embedded QEMU driver.
    public var libvirtRoot: String { path + "/libvirt" }

    /// Folder holding one subfolder per run.
    public var runs: String { path + "/runs" }

    /// Lock files of the loopback ports runs hold.
    public var ports: String { path + "/ports" }

    /// Creates a fresh, empty folder for one run and returns its path:
    /// `runs/<prefix>-<pid>.<start time>-<random>`, so a later run can tell
    /// whether its owner is still alive (``ProcessIdentity``).
    public func makeRunDirectory(prefix: String) throws -> String {
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let dir = runs + "/\(prefix)-\(ProcessIdentity.current)-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// The owner in a run folder's name.
    public static func owner(ofRun name: String) -> ProcessIdentity? {
        let parts = name.split(separator: "-")
        return parts.count >= 3 ? ProcessIdentity(token: parts[parts.count - 2]) : nil
    }

    /// This process's scratch folder (temporary files of an inspection),
    /// made on first use; a run folder like any other, so what a killed
    /// process left there is reaped by the next start.
    public func scratch() throws -> String {
        try ScratchFolder.shared.path(in: self)
    }
}

/// The one scratch folder per process and state folder.
package final class ScratchFolder: @unchecked Sendable {
    package static let shared = ScratchFolder()
    private let lock = NSLock()
    private var made: [String: String] = [:]

    func path(in state: StateDirectory) throws -> String {
        try lock.withLock {
            if let known = made[state.path], FileManager.default.fileExists(atPath: known) { return known }
            let dir = try state.makeRunDirectory(prefix: "scratch")
            made[state.path] = dir
            return dir
        }
    }

    /// Removes every scratch folder this process made.
    package func removeAll() {
        lock.withLock {
            for dir in made.values { Teardown.remove(dir) }
            made = [:]
        }
    }
}

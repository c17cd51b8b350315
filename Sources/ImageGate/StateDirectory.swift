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

    /// Root of libvirt's embedded QEMU driver.
    public var libvirtRoot: String { path + "/libvirt" }

    /// Folder holding one subfolder per run.
    public var runs: String { path + "/runs" }

    /// Lock files of the loopback ports runs hold.
    public var ports: String { path + "/ports" }

    /// Creates a fresh, empty folder for one run and returns its path:
    /// `runs/<prefix>-<pid>-<random>`, so a later run can tell whether its
    /// owner is still alive.
    public func makeRunDirectory(prefix: String) throws -> String {
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        let pid = ProcessInfo.processInfo.processIdentifier
        let dir = runs + "/\(prefix)-\(pid)-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }

    /// The owner's process ID in a run folder's name.
    public static func ownerPID(ofRun name: String) -> Int32? {
        let parts = name.split(separator: "-")
        return parts.count >= 3 ? Int32(parts[parts.count - 2]) : nil
    }
}

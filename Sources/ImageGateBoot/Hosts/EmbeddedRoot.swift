import Foundation
import Libvirt
import ImageGateModel

/// This process's embedded libvirt root, claimed once with a lock file.
package enum EmbeddedRoot {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var claimed: String?

    /// How many ImageGate processes may run at once on one host.
    static let slots = 32

    /// QEMU's monitor socket is `ROOT/lib/qemu/domain-ID-NAME/monitor.sock`
    /// (NAME: the domain's first 20 characters), and a UNIX socket's path
    /// holds at most 107 bytes: a root's path may be this long at most.
    package static let longestRoot = 107 - "/lib/qemu/domain-999999-".utf8.count - 20 - "/monitor.sock".utf8.count

    package static func claim(in directory: String, avoiding kept: Set<String> = []) throws -> String {
        let longest = "\(directory)/\(slots - 1)".utf8.count
        guard longest <= longestRoot else {
            throw ImageGateError.badInput("\(directory): the state folder's path is \(longest - longestRoot) characters too long for QEMU's monitor socket (a UNIX socket path holds 107 bytes); set IMAGEGATE_STATE_DIR to a shorter folder")
        }
        lock.lock()
        defer { lock.unlock() }
        if let claimed { return claimed }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let root = try lockFirstFree(in: directory, avoiding: kept) else {
            throw ImageGateError.infrastructure("all \(slots) embedded libvirt roots in \(directory) are in use by other processes")
        }
        claimed = root
        return root
    }

    /// Locks the first root of `directory` no other process holds and no
    /// kept run lives in; the lock is held (never closed) until the
    /// process exits.
    package static func lockFirstFree(in directory: String, avoiding kept: Set<String>) throws -> String? {
        for slot in 0..<slots where !kept.contains("\(directory)/\(slot)") {
            if try FileLock.tryExclusive("\(directory)/\(slot).lock") != nil { return "\(directory)/\(slot)" }
        }
        return nil
    }

    /// Claims `root` itself (where a kept run lives), waiting up to 30 s
    /// for another process using it to finish.
    static func claim(exactly root: String) async throws -> String {
        try lock.withLock {
            if let claimed, claimed != root {
                throw ImageGateError.infrastructure("this process already uses the libvirt root \(claimed), not \(root)")
            }
        }
        for _ in 0..<300 {
            let taken: Bool = try lock.withLock {
                if claimed == root { return true }
                guard try FileLock.tryExclusive(root + ".lock") != nil else { return false }
                claimed = root
                return true
            }
            if taken { return root }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ImageGateError.infrastructure("another imagegate process has used the libvirt root \(root) for 30 s; try again when it is done")
    }

    /// Writes `root/etc/qemu.conf`: QEMU's output goes to plain files (no
    /// virtlogd), QEMU runs as this process's user, libvirt never relabels
    /// or chowns the disks it is given, and QEMU gets no private /dev.
    static func writeQEMUConfiguration(root: String) throws {
        let etc = root + "/etc"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        let conf = """
            # Written by ImageGate: the embedded driver runs without virtlogd,
            # QEMU runs as the user running ImageGate, and libvirt must never
            # change ownership or labels of candidate images.
            stdio_handler = "file"
            user = "+\(getuid())"
            group = "+\(getgid())"
            security_driver = "none"
            dynamic_ownership = 0
            remember_owner = 0
            # No private /dev per QEMU: libvirt would try to move every mount
            # under /dev into it, and fails on a masked /dev/kvm (EINVAL).
            namespaces = []

            """
        let path = etc + "/qemu.conf"
        // Missing or unreadable: written anew.
        if (try? String(contentsOfFile: path, encoding: .utf8)) != conf {
            try conf.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// Makes `root/cache/qemu/capabilities`, where libvirt keeps what it
    /// probed of each QEMU binary, a link to the one folder `shared`. libvirt
    /// re-validates a cached entry on load (QEMU's and libvirt's ctime, the
    /// kernel, KVM's usability), so sharing it is safe; two roots probing at
    /// the same moment write the same answer.
    static func shareCapabilitiesCache(root: String, shared: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: shared, withIntermediateDirectories: true)
        let parent = root + "/cache/qemu", link = parent + "/capabilities"
        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        // Not a link (yet): made below.
        if (try? manager.destinationOfSymbolicLink(atPath: link)) == shared { return }
        if manager.fileExists(atPath: link) { try manager.removeItem(atPath: link) }
        try manager.createSymbolicLink(atPath: link, withDestinationPath: shared)
    }
}

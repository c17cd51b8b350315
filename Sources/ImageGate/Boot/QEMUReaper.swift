import CSubreaper
import Foundation

/// Reaps this process's QEMUs the moment they exit.
///
/// libvirt starts QEMU as a daemon, so its parent becomes the system's init,
/// and libvirt's destroy returns only once the process is gone, zombie
/// included. Where init reaps lazily (seconds later, in some sandboxes),
/// every teardown waits for it. As the subreaper of its descendants, this
/// process inherits the QEMUs libvirt daemonizes, and reaps each one itself.
/// With a libvirt daemon, QEMU is the daemon's child, and nothing changes.
enum QEMUReaper {
    /// Makes this process the subreaper of its descendants, once.
    static let adopt: Void = { _ = imagegate_become_child_subreaper() }()

    /// Waits, on a thread of its own, for the QEMU running guest `name` if
    /// that process is this one's child; returns at once otherwise.
    static func reap(guest name: String) {
        guard let pid = pid(ofGuest: name), parent(of: pid) == getpid() else { return }
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    /// The QEMU started with `-name guest=NAME,...`.
    static func pid(ofGuest name: String) -> pid_t? {
        let needle = Array("guest=\(name),".utf8)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let bytes = Array(cmdline)
            if bytes.count >= needle.count, (0...(bytes.count - needle.count)).contains(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                return pid
            }
        }
        return nil
    }

    /// The parent PID, from `/proc/PID/stat` (the field after the command).
    static func parent(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}

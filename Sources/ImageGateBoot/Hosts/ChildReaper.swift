import CHostProcess
import Foundation
import ImageGateModel

/// Reaps this process's QEMUs the moment they exit, and every QEMU orphaned
/// onto it.
///
/// libvirt starts QEMU as a daemon, so its parent becomes the system's init,
/// and libvirt's destroy returns only once the process is gone, zombie
/// included. Where init reaps lazily (seconds later, in some sandboxes),
/// every teardown waits for it. As the subreaper of its descendants, this
/// process inherits the QEMUs libvirt daemonizes, and reaps each one itself.
/// With a libvirt daemon, QEMU is the daemon's child, and nothing changes.
///
/// Everything else orphaned onto it is collected by a sweep once a second,
/// so a long-running process never piles up zombies: a QEMU nobody waits for
/// (a probe QEMU that hung in KVM and died late) at once, any other zombie
/// child once it has stayed a zombie for three sweeps — an orphan (the
/// helpers a headless browser leaves behind, say), since a child this
/// process started itself is reaped by its own waiter within milliseconds
/// and must get its exit status there.
package enum ChildReaper {
    /// Makes this process the subreaper of its descendants and starts the
    /// sweep, once.
    package static let adopt: Void = {
        _ = imagegate_become_child_subreaper()
        startSweeping()
    }()

    private static let sweeping: Void = {
        Thread.detachNewThread {
            while true {
                sweep()
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }()

    /// Starts the once-a-second sweep (idempotent).
    static func startSweeping() { sweeping }

    /// How many sweeps in a row a zombie may be left to its own waiter.
    static let sweepsBeforeOrphan = 3

    private static let lock = NSLock()
    /// Zombie children that are not QEMUs → sweeps they were seen in.
    nonisolated(unsafe) private static var seen: [pid_t: Int] = [:]

    /// Reaps every exited QEMU child, and every other zombie child seen in
    /// ``sweepsBeforeOrphan`` sweeps; returns their PIDs.
    @discardableResult
    package static func sweep() -> [pid_t] {
        lock.lock()
        defer { lock.unlock() }
        let me = getpid()
        var reaped: [pid_t] = [], zombies: Set<pid_t> = []
        // /proc is always there on Linux; an empty list only delays the reaping.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = ProcessStat(pid: pid), stat.parent == me, stat.state == "Z" else { continue }
            if !stat.command.hasPrefix("qemu-system") {
                seen[pid, default: 0] += 1
                guard seen[pid]! >= sweepsBeforeOrphan else { zombies.insert(pid); continue }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped.append(pid) }
        }
        seen = seen.filter { zombies.contains($0.key) }
        return reaped
    }

    /// Waits, on a thread of its own, for the QEMU running guest `name` if
    /// that process is this one's child; returns at once otherwise.
    static func reap(guest name: String) {
        guard let pid = pid(ofGuest: name), ProcessStat(pid: pid)?.parent == getpid() else { return }
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    /// The QEMU started with `-name guest=NAME,...`.
    package static func pid(ofGuest name: String) -> pid_t? {
        let needle = Array("guest=\(name),".utf8)
        // /proc is always there on Linux; an empty list only delays the reaping.
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
}

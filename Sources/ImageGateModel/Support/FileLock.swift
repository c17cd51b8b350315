import Foundation

/// An exclusive `flock` on a lock file, taken without waiting: how
/// ImageGate processes on one host share out loopback ports and embedded
/// libvirt roots. The lock lives as long as the descriptor stays open.
package enum FileLock {
    /// The open, locked descriptor of `path` (created if missing), or nil
    /// when another process holds the lock. A file that cannot be opened
    /// is an error naming it and why.
    package static func tryExclusive(_ path: String) throws -> Int32? {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageGateError.infrastructure("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
        let reason = errno
        close(fd)
        guard reason == EWOULDBLOCK else {
            throw ImageGateError.infrastructure("cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        return nil
    }
}

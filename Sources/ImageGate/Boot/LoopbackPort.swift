import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1, held for one run. The kernel picks a
/// free port; a lock file in the state folder (flock) keeps two ImageGate
/// processes that got the same number from both using it before QEMU binds.
public final class LoopbackPort: @unchecked Sendable {
    public let number: Int
    private let lockPath: String
    private var lockFD: Int32

    private init(number: Int, lockPath: String, lockFD: Int32) {
        self.number = number
        self.lockPath = lockPath
        self.lockFD = lockFD
    }

    deinit { release() }

    /// Reserves a port; `lockDirectory` must be shared by every process
    /// that allocates ports on this host.
    public static func reserve(lockDirectory: String) throws -> LoopbackPort {
        try FileManager.default.createDirectory(atPath: lockDirectory, withIntermediateDirectories: true)
        for _ in 0..<64 {
            guard let port = kernelChosenPort() else { continue }
            let path = "\(lockDirectory)/\(port).lock"
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                // The owner's process ID, for people and tests looking at the folder.
                let pid = "\(getpid())\n"
                _ = ftruncate(fd, 0)
                _ = pid.withCString { write(fd, $0, strlen($0)) }
                return LoopbackPort(number: port, lockPath: path, lockFD: fd)
            }
            close(fd)
        }
        throw BootError.infrastructure("no free loopback port could be reserved")
    }

    /// The process holding the port whose lock file is `path`, if it says.
    public static func owner(ofLock path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Frees the port for other runs.
    public func release() {
        guard lockFD >= 0 else { return }
        unlink(lockPath)
        close(lockFD)
        lockFD = -1
    }

    private static func kernelChosenPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

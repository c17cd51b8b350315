import Foundation
#if canImport(Glibc)
import Glibc
import ImageGateModel
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
            guard let fd = try FileLock.tryExclusive(path) else { continue }
            // The owner's process ID, for people and tests looking at the folder.
            let pid = "\(getpid())\n"
            guard ftruncate(fd, 0) == 0, pid.withCString({ write(fd, $0, strlen($0)) }) == pid.utf8.count else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                close(fd)
                throw ImageGateError.infrastructure("cannot write the port lock \(path): \(reason)")
            }
            return LoopbackPort(number: port, lockPath: path, lockFD: fd)
        }
        throw ImageGateError.infrastructure("no free loopback port could be reserved")
    }

    /// The process holding the port whose lock file is `path`, if it says.
    public static func owner(ofLock path: String) -> Int32? {
        // A lock file without a readable owner has none.
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
        guard LoopbackAddress.with(port: 0, { bind(fd, $0, $1) }) == 0 else { return nil }
        return LoopbackAddress.port(of: fd)
    }
}

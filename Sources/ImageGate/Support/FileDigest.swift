import Crypto
import Foundation

/// SHA-256 of a file, streamed a MiB at a time in this process (never the
/// whole file in memory, no helper program).
enum FileDigest {
    static func sha256(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(path): cannot open to hash: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("\(path): reading to hash failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Proof that the candidate was not written: its digest before anything
/// opened it and after everything was done must be equal.
public struct CandidateDigest: Sendable, Codable, Equatable {
    public var before: String
    public var after: String

    /// Runs `body` between two digests of `path`; a difference is an
    /// infrastructure error naming both.
    public static func verifying<T>(_ path: String, _ body: () async throws -> T) async throws -> (T, CandidateDigest) {
        let before = try FileDigest.sha256(path)
        let result = try await body()
        let after = try FileDigest.sha256(path)
        guard before == after else {
            throw BootError.infrastructure("the candidate \(path) changed while it was checked: sha256 \(before) before, \(after) after")
        }
        return (result, CandidateDigest(before: before, after: after))
    }
}

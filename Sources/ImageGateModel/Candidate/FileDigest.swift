import Foundation
import Libcrypto
import SerialQueue

/// SHA-256 of a file, streamed a MiB at a time in this process (never the
/// whole file in memory, no helper program).
package enum FileDigest {
    /// Of a regular file: a FIFO cannot block the open, and a device (a
    /// link to /dev/zero) is refused, not read forever.
    package static func sha256(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw ImageGateError.badInput("\(path): cannot open to hash: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw ImageGateError.badInput("\(TerminalText.sanitize(path)): not a regular file")
        }
        return try sha256(fd: fd, name: path)
    }

    /// Of an open file, from its first byte (`pread`: the file offset is
    /// not moved).
    static func sha256(fd: Int32, name: String) throws -> String {
        let hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImageGateError.badInput("\(name): reading to hash failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            offset += off_t(count)
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hasher.finalizeHex()
    }
}

/// Proof that the candidate was not written: its digest before anything
/// opened it and after everything was done must be equal.
public struct CandidateDigest: Sendable, Codable, Equatable {
    public var before: String
    public var after: String

    /// Runs `body` between two digests of `image` (of the open file it was
    /// validated through); a difference is an infrastructure error naming both.
    /// `before` is the first digest where the caller took it already (before
    /// an earlier phase of the same check).
    /// `after` gives the digest taken already once everything that read
    /// the candidate for this result was done, if any.
    public static func verifying<T>(_ image: ImageFile, before: String? = nil, after: (T) -> String? = { _ in nil },
                                    _ body: () async throws -> T) async throws -> (T, CandidateDigest) {
        let path = image.path
        let before = try before ?? digest(of: image)
        let result = try await body()
        let after = try after(result) ?? digest(of: image)
        guard before == after else {
            throw ImageGateError.candidateChanged("the candidate \(path) changed while it was checked: sha256 \(before) before, \(after) after")
        }
        if image.descriptor?.writtenSinceOpened == true {
            throw ImageGateError.candidateChanged("the candidate \(path) was written while it was checked (its digest is the same again: the bytes were put back)")
        }
        return (result, CandidateDigest(before: before, after: after))
    }

    /// SHA-256 of the open file `image` was validated through.
    public static func digest(of image: ImageFile) throws -> String {
        if let descriptor = image.descriptor { return try FileDigest.sha256(fd: descriptor.fd, name: image.path) }
        return try FileDigest.sha256(image.path)
    }
}

/// Candidate digests taken in the background, one after the other on a
/// thread of their own (hashing blocks; the cooperative pool stays free
/// for the work they overlap, such as an appliance launch), each found
/// again by its key; nil where one failed.
public actor BackgroundDigests<Key: Hashable & Sendable> {
    private let queue = SerialQueue(label: "candidate-digests")
    private var digests: [Key: Task<String?, Never>] = [:]

    public init() {}

    public func start(_ key: Key, of image: ImageFile) {
        let queue = queue
        // A digest that fails here is taken again, with its error, by the check that needs it.
        digests[key] = Task { try? await queue.run { try CandidateDigest.digest(of: image) } }
    }

    public func digest(_ key: Key) async -> String? {
        await digests[key]?.value
    }
}

/// SHA-256 of bytes in memory, as lowercase hex.
package enum Digest {
    package static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hex(bytes)
    }

    package static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }
}

/// SHA-256 of bytes handed over a chunk at a time (a volume read back
/// through a libvirt stream).
package final class StreamingSHA256: @unchecked Sendable {
    private let hasher = SHA256()
    private let lock = NSLock()

    package init() {}

    package func update(_ bytes: [UInt8]) {
        lock.withLock { hasher.update(bytes) }
    }

    package func finish() -> String {
        lock.withLock { hasher.finalizeHex() }
    }
}

import Foundation
import Guestfs
import ImageGateModel

/// ``GuestFilesystem`` over a libguestfs handle whose guest filesystems are
/// mounted read-only at their guest mount points inside the appliance.
///
/// Reads are bounded: only a regular file is ever opened (a FIFO would
/// block the appliance, a device read forever), no file larger than
/// ``GateLimits/guestFileBytes`` is read, and all reads of one inspection
/// together stop at ``GateLimits/guestReadBytes``. Either limit is a
/// ``GuestFileProblem``, which the rules report as evidence.
public struct GuestfsFilesystem: GuestFilesystem {
    let handle: Handle
    let limits: GateLimits
    let budget: ReadBudget
    /// Where a compressed initramfs is decompressed from.
    let scratch: String

    public init(handle: Handle, limits: GateLimits = GateLimits(), scratch: String = NSTemporaryDirectory()) {
        self.handle = handle
        self.limits = limits
        self.budget = ReadBudget(total: limits.guestReadBytes)
        self.scratch = scratch
    }

    /// Runs `body`; a missing path (ENOENT, ENOTDIR) becomes nil.
    private func orNil<T>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as GuestfsError where error.errno == ENOENT || error.errno == ENOTDIR {
            return nil
        }
    }

    public func read(_ path: String) async throws -> String? {
        guard let bytes = try await readBytes(path, limit: limits.guestFileBytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of the regular file at `path` (not following a final
    /// symlink: callers resolve links inside the guest first); nil if absent.
    func readBytes(_ path: String, limit: Int) async throws -> [UInt8]? {
        guard let status = try await orNil({ try await handle.stat(path) }) else { return nil }
        let kind = Self.kind(status)
        guard kind == .file else { throw GuestFileProblem.notRegular(path: path, kind: kind) }
        guard status.size <= Int64(limit) else { throw GuestFileProblem.tooLarge(path: path, size: status.size, limit: Int64(limit)) }
        try budget.spend(Int(status.size), path: path)
        guard let bytes = try await orNil({ try await handle.readFile(path, limit: limit + 1) }) else { return nil }
        // A file that grew past its stat (it cannot, on a read-only mount)
        // is still held to the limit.
        guard bytes.count <= limit else { throw GuestFileProblem.tooLarge(path: path, size: Int64(bytes.count), limit: Int64(limit)) }
        return bytes
    }

    public func list(_ directory: String) async throws -> [String]? {
        guard try await handle.isDirectory(directory, followSymlinks: true) else { return nil }
        return try await orNil { try await handle.list(directory) }
    }

    public func kind(_ path: String) async throws -> FileKind {
        guard let status = try await orNil({ try await handle.stat(path) }) else { return .missing }
        return Self.kind(status)
    }

    /// `ls`, then `lstatnslist` per thousand names (one reply stays far
    /// below libguestfs's message limit).
    public func entries(in directory: String) async throws -> [String: FileKind]? {
        guard let names = try await orNil({ try await handle.list(directory) }) else { return nil }
        var entries: [String: FileKind] = [:]
        for start in stride(from: 0, to: names.count, by: 1000) {
            let chunk = Array(names[start..<min(start + 1000, names.count)])
            for (name, status) in zip(chunk, try await handle.stat(in: directory, names: chunk)) {
                entries[name] = status.map(Self.kind) ?? .missing
            }
        }
        return entries
    }

    package static func kind(_ status: FileStatus) -> FileKind {
        switch status.mode & UInt32(S_IFMT) {
        case 0o100000: return .file
        case 0o040000: return .directory
        case 0o120000: return .symlink
        default: return .other
        }
    }

    public func readLink(_ path: String) async throws -> String? {
        guard try await kind(path) == .symlink else { return nil }
        return try await handle.readLink(path)
    }

    public func size(_ path: String) async throws -> Int64? {
        try await orNil { try await handle.stat(path).size }
    }

    /// Read out and listed on the host (``InitramfsArchive``, under the
    /// initramfs limits); where the host cannot, listed by the appliance;
    /// nil when neither can.
    public func initramfsContents(_ path: String) async throws -> [String]? {
        let bytes = try await readBytes(path, limit: limits.guestFileBytes)
        // An initramfs ImageGate cannot unpack falls back to the appliance's own listing; nil from both is could-not-check for the rule.
        if let bytes, let names = try? await InitramfsArchive.list(bytes, limits: .init(limits, scratch: scratch)) { return names }
        guard bytes != nil else { return nil }
        // Neither could list it: nil, and the rule that asked says could-not-check.
        return try? await handle.initrdList(path)
    }
}

/// What one inspection may still read from the guest, in bytes.
final class ReadBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    let total: Int

    init(total: Int) {
        self.total = total
        self.left = total
    }

    func spend(_ bytes: Int, path: String) throws {
        try lock.withLock {
            guard bytes <= left else { throw GuestFileProblem.readBudgetExhausted(path: path, limit: Int64(total)) }
            left -= bytes
        }
    }
}

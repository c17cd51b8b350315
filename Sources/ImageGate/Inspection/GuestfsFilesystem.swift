import Guestfs

/// ``GuestFilesystem`` over a libguestfs handle whose guest filesystems are
/// mounted read-only at their guest mount points inside the appliance.
public struct GuestfsFilesystem: GuestFilesystem {
    let handle: Handle

    public init(handle: Handle) {
        self.handle = handle
    }

    /// Runs `body`; a missing path (ENOENT, ENOTDIR) becomes nil.
    private func orNil<T>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as GuestfsError where error.errno == 2 || error.errno == 20 {
            return nil
        }
    }

    public func read(_ path: String) async throws -> String? {
        guard let bytes = try await orNil({ try await handle.readFile(path) }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
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

    private static func kind(_ status: FileStatus) -> FileKind {
        switch status.mode & 0o170000 {
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

    /// Read out and listed on the host (``InitramfsArchive``); where the
    /// host lacks the decompressor, listed by the appliance; nil when
    /// neither can.
    public func initramfsContents(_ path: String) async throws -> [String]? {
        if let bytes = try? await handle.readFile(path), let names = try? InitramfsArchive.list(bytes) { return names }
        return try? await handle.initrdList(path)
    }
}

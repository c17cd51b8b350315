import ImageGateModel

/// Read-only access to a guest's files. Implemented over libguestfs
/// (``GuestfsFilesystem``) and in memory (``InMemoryFilesystem``), so every
/// rule is unit-tested without an appliance.
///
/// Paths are absolute paths inside the guest. A missing file is `nil`, not
/// an error; errors are for files that exist but cannot be read.
public protocol GuestFilesystem: Sendable {
    /// The file's content as text (invalid UTF-8 repaired), or nil if absent.
    func read(_ path: String) async throws -> String?
    /// Names in a directory, or nil if it is not a directory.
    func list(_ directory: String) async throws -> [String]?
    /// What is at `path`, not following a final symlink.
    func kind(_ path: String) async throws -> FileKind
    /// The symlink's target, or nil if `path` is not a symlink.
    func readLink(_ path: String) async throws -> String?
    /// The size in bytes of a regular file, nil if absent.
    func size(_ path: String) async throws -> Int64?
    /// Paths inside an initramfs image, or nil if it cannot be listed.
    func initramfsContents(_ path: String) async throws -> [String]?
    /// Every name in `directory` with what it is (not following symlinks),
    /// or nil if it is not a directory. The default asks ``list(_:)`` and
    /// ``kind(_:)``; an implementation may answer in one go.
    func entries(in directory: String) async throws -> [String: FileKind]?
}

/// What a path names.
public enum FileKind: String, Sendable {
    case missing, file, directory, symlink, other
}

extension GuestFilesystem {
    public func entries(in directory: String) async throws -> [String: FileKind]? {
        guard let names = try await list(directory) else { return nil }
        var entries: [String: FileKind] = [:]
        for name in names { entries[name] = try await kind(GuestPath.join(directory, name)) }
        return entries
    }

    public func exists(_ path: String) async throws -> Bool {
        try await kind(path) != .missing
    }

    /// The file's lines, numbered from 1, or nil if absent.
    public func lines(_ path: String) async throws -> [Line]? {
        guard let text = try await read(path) else { return nil }
        return Line.split(text)
    }

    /// Regular files directly in `directory` whose name ends with `suffix`,
    /// sorted, as full paths.
    public func files(in directory: String, suffix: String = "") async throws -> [String] {
        var paths: [String] = []
        for name in (try await list(directory) ?? []).sorted() where name.hasSuffix(suffix) {
            let path = directory + "/" + name
            if try await kind(path) == .file { paths.append(path) }
        }
        return paths
    }

    /// Follows symlinks (relative to the guest's root, at most 16 hops) to
    /// the final path; returns the chain of paths walked.
    public func resolve(_ path: String) async throws -> [String] {
        var chain = [path]
        var current = path
        for _ in 0..<16 {
            guard let target = try await readLink(current) else { return chain }
            current = GuestPath.join(GuestPath.directory(of: current), target)
            chain.append(current)
        }
        return chain
    }
}

/// One line of a text file.
public struct Line: Sendable, Equatable {
    public let number: Int
    public let text: String

    /// The line without leading and trailing white space.
    public var trimmed: String { text.trimmingCharacters(in: .whitespaces) }

    /// Blank or a `#` comment.
    public var isCommentOrBlank: Bool { trimmed.isEmpty || trimmed.hasPrefix("#") }

    public static func split(_ text: String) -> [Line] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines.enumerated().map { Line(number: $0.offset + 1, text: $0.element) }
    }
}

/// Path arithmetic inside the guest (no host file system involved), on
/// `/` bytes as the guest's kernel splits paths (``FileName/components(_:)``).
public enum GuestPath {
    public static func directory(of path: String) -> String {
        let scalars = path.unicodeScalars
        guard let slash = scalars.lastIndex(of: "/"), slash != scalars.startIndex else { return "/" }
        return String(scalars[..<slash])
    }

    /// `target` resolved against `directory`, with `.` and `..` folded.
    public static func join(_ directory: String, _ target: String) -> String {
        let combined = target.unicodeScalars.first == "/" ? target : directory + "/" + target
        var parts: [String] = []
        for part in FileName.components(combined) {
            if part.utf8.elementsEqual(".".utf8) { continue }
            if part.utf8.elementsEqual("..".utf8) { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The last component of `path` (empty for `/`).
    public static func name(of path: String) -> String { FileName.components(path).last ?? "" }
}

import Foundation

extension Evidence {
    /// Evidence pointing at one line of a file.
    public static func at(_ path: String, _ line: Line) -> Evidence {
        Evidence(path: path, line: line.number, line.text)
    }
}

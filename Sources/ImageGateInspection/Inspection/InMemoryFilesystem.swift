import ImageGateModel

/// A guest filesystem held in memory: files, symlinks and directories. For
/// unit tests of rules, and for a vendor's own tests.
public struct InMemoryFilesystem: GuestFilesystem {
    public var files: [String: String]
    public var symlinks: [String: String]
    public var directories: Set<String>
    /// Initramfs images and the paths inside them.
    public var initramfs: [String: [String]]

    public init(files: [String: String] = [:], symlinks: [String: String] = [:],
                directories: Set<String> = [], initramfs: [String: [String]] = [:]) {
        self.files = files
        self.symlinks = symlinks
        self.directories = directories
        self.initramfs = initramfs
    }

    /// Every directory that holds something, plus the explicit ones.
    private var allDirectories: Set<String> {
        var all = directories.union(["/"])
        for path in Array(files.keys) + Array(symlinks.keys) + Array(directories) {
            var dir = GuestPath.directory(of: path)
            while dir != "/" { all.insert(dir); dir = GuestPath.directory(of: dir) }
        }
        return all
    }

    /// Follows symlinks in every component but the last.
    private func canonicalParent(_ path: String) -> String {
        var resolved = "/"
        let parts = FileName.components(path)
        for part in parts.dropLast() {
            var next = GuestPath.join(resolved, String(part))
            var hops = 0
            while let target = symlinks[next], hops < 16 {
                next = GuestPath.join(GuestPath.directory(of: next), target)
                hops += 1
            }
            resolved = next
        }
        return parts.last.map { GuestPath.join(resolved, String($0)) } ?? "/"
    }

    /// Follows every symlink, including the last component.
    private func canonical(_ path: String) -> String {
        var current = canonicalParent(path)
        var hops = 0
        while let target = symlinks[current], hops < 16 {
            current = canonicalParent(GuestPath.join(GuestPath.directory(of: current), target))
            hops += 1
        }
        return current
    }

    public func read(_ path: String) async throws -> String? { files[canonical(path)] }

    public func list(_ directory: String) async throws -> [String]? {
        let dir = canonical(directory)
        guard allDirectories.contains(dir) else { return nil }
        let prefix = dir == "/" ? "/" : dir + "/"
        let children = (Array(files.keys) + Array(symlinks.keys) + Array(allDirectories))
            .filter { $0.hasPrefix(prefix) && $0 != dir }
            .map { String($0.dropFirst(prefix.count).split(separator: "/").first ?? "") }
        return Array(Set(children)).sorted()
    }

    public func kind(_ path: String) async throws -> FileKind {
        let at = canonicalParent(path)
        if symlinks[at] != nil { return .symlink }
        if files[at] != nil { return .file }
        if allDirectories.contains(at) { return .directory }
        return .missing
    }

    public func readLink(_ path: String) async throws -> String? { symlinks[canonicalParent(path)] }

    public func size(_ path: String) async throws -> Int64? {
        files[canonical(path)].map { Int64($0.utf8.count) }
    }

    public func initramfsContents(_ path: String) async throws -> [String]? { initramfs[canonical(path)] }
}

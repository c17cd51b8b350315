import ImageGateModel

/// Remembers every answer of the filesystem it wraps. Rules read the same
/// files (grub.cfg, /etc/hosts, the unit folders) many times, and each read
/// through libguestfs is a round trip to the appliance; the image is
/// read-only, so an answer never goes stale.
///
/// What a path is comes from its directory's ``GuestFilesystem/entries(in:)``,
/// asked once per directory: rules probe many paths that do not exist (unit
/// files in every `.wants` folder), and a path under a missing directory
/// costs no call at all.
public actor CachingFilesystem: GuestFilesystem {
    private let base: any GuestFilesystem
    private var reads: [String: String?] = [:]
    private var lists: [String: [String]?] = [:]
    private var kinds: [String: FileKind] = [:]
    private var links: [String: String?] = [:]
    private var sizes: [String: Int64?] = [:]
    private var initramfs: [String: [String]?] = [:]
    private var directories: [String: [String: FileKind]?] = [:]

    public init(_ base: any GuestFilesystem) {
        self.base = base
    }

    /// Reads regular files only: symlinks are followed here (inside the
    /// guest's tree), and a directory, FIFO, device or socket at the end is
    /// ``GuestFileProblem/notRegular(path:kind:)``, never opened (a FIFO
    /// would block the appliance forever).
    public func read(_ path: String) async throws -> String? {
        if let known = reads[path] { return known }
        let target = try await resolve(path).last!
        let value: String?
        switch try await kind(target) {
        case .missing: value = nil
        case .file: value = try await base.read(target)
        case let other: throw GuestFileProblem.notRegular(path: path, kind: other)
        }
        reads[path] = .some(value)
        return value
    }

    public func list(_ directory: String) async throws -> [String]? {
        if let known = lists[directory] { return known }
        let value = try await entries(in: directory).map { $0.keys.sorted() }
        lists[directory] = .some(value)
        return value
    }

    public func kind(_ path: String) async throws -> FileKind {
        if let known = kinds[path] { return known }
        let value: FileKind
        let parent = GuestPath.directory(of: path)
        let name = GuestPath.name(of: path)
        if path == "/" || path.unicodeScalars.last == "/" || FileName.isDotOrDotDot(name) || path != GuestPath.join(parent, name) {
            value = try await base.kind(path)
        } else {
            value = try await entries(in: parent)?[name] ?? .missing
        }
        kinds[path] = value
        return value
    }

    public func entries(in directory: String) async throws -> [String: FileKind]? {
        if let known = directories[directory] { return known }
        switch directory == "/" ? .directory : try await kind(directory) {
        case .missing, .file, .other:
            directories[directory] = .some(nil)
            return nil
        case .directory, .symlink:
            let value = try await base.entries(in: directory)
            directories[directory] = .some(value)
            return value
        }
    }

    public func readLink(_ path: String) async throws -> String? {
        if let known = links[path] { return known }
        let value = try await kind(path) == .symlink ? try await base.readLink(path) : nil
        links[path] = .some(value)
        return value
    }

    public func size(_ path: String) async throws -> Int64? {
        if let known = sizes[path] { return known }
        let value = try await kind(path) == .missing ? nil : try await base.size(path)
        sizes[path] = .some(value)
        return value
    }

    public func initramfsContents(_ path: String) async throws -> [String]? {
        if let known = initramfs[path] { return known }
        let value = try await base.initramfsContents(path)
        initramfs[path] = .some(value)
        return value
    }
}

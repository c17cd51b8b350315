/// Remembers every answer of the filesystem it wraps. Rules read the same
/// files (grub.cfg, /etc/hosts, the unit folders) many times, and each read
/// through libguestfs is a round trip to the appliance; the image is
/// read-only, so an answer never goes stale.
public actor CachingFilesystem: GuestFilesystem {
    private let base: any GuestFilesystem
    private var reads: [String: String?] = [:]
    private var lists: [String: [String]?] = [:]
    private var kinds: [String: FileKind] = [:]
    private var links: [String: String?] = [:]
    private var sizes: [String: Int64?] = [:]
    private var initramfs: [String: [String]?] = [:]

    public init(_ base: any GuestFilesystem) {
        self.base = base
    }

    public func read(_ path: String) async throws -> String? {
        if let known = reads[path] { return known }
        let value = try await base.read(path)
        reads[path] = .some(value)
        return value
    }

    public func list(_ directory: String) async throws -> [String]? {
        if let known = lists[directory] { return known }
        let value = try await base.list(directory)
        lists[directory] = .some(value)
        return value
    }

    public func kind(_ path: String) async throws -> FileKind {
        if let known = kinds[path] { return known }
        let value = try await base.kind(path)
        kinds[path] = value
        return value
    }

    public func readLink(_ path: String) async throws -> String? {
        if let known = links[path] { return known }
        let value = try await base.readLink(path)
        links[path] = .some(value)
        return value
    }

    public func size(_ path: String) async throws -> Int64? {
        if let known = sizes[path] { return known }
        let value = try await base.size(path)
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

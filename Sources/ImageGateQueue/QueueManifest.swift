import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import Yams

/// The review queue: which images are checked, under which scenario and
/// profile, and whose they are. Strict YAML like a scenario: an unknown key
/// or a bad value is an bad-input ``ImageGateError`` naming file, line and field.
///
///     defaults:
///       scenario: Scenarios/default-linux.yaml
///       profile: profiles/marketplace.yaml
///     entries:
///       - image: images/acme/web-1.4.qcow2
///         vendor: acme
///         product: web
///         version: "1.4"
///       - image: images/globex/       # a folder: every .qcow2 and .raw in it
///         vendor: globex
///         product: db
///         boot: false                 # static inspection only
///       - image: images/initech/app.qcow2
///         vendor: initech
///         product: app
///         repeat: 3                   # checked 3 times a run (RepeatedChecks)
///     hosts:                          # optional: boots spread over these
///       - qemu+tcp://10.0.0.5/system=4    # URI[=capacity] (``HostSpec``)
///       - qemu+ssh://imagegate@h2/system   # a user in the host's libvirt group, not root
///
/// Paths are relative to the manifest's folder.
public struct QueueManifest: Sendable {
    /// One image to check, after folders and globs are expanded.
    public struct Entry: Sendable, Equatable {
        public var image: String
        public var vendor: String
        public var product: String
        public var version: String
        public var scenario: String?
        public var profile: String?
        public var servicePorts: [Int]
        public var tier: String?
        /// false: static inspection only (boot rules are "could not check").
        public var boot: Bool
        /// How many times the entry is checked in a run, its boots each time
        /// (``RepeatedChecks``); nil: as the run says (`--repeat`, else once).
        public var repeatCount: Int? = nil
        /// The folder the manifest named the image in: a symlink there that
        /// leads out of it is refused (``requireConfined()``).
        public var folder: String? = nil

        /// The image as a file of its own folder: a vendor's entry cannot
        /// point the review host at another vendor's image (or any other
        /// file of the host) through a symlink. Bad input naming the entry.
        public func requireConfined() throws {
            guard let folder else { return }
            var status = stat()
            // A missing image is not a link: the check itself says it is missing.
            guard lstat(image, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return }
            let shown = TerminalText.sanitize(image)
            guard let target = realpath(image, nil) else { throw ImageGateError.badInput("\(shown): a symlink that leads nowhere") }
            defer { free(target) }
            guard let base = realpath(folder, nil) else { throw ImageGateError.badInput("\(shown): its folder cannot be resolved") }
            defer { free(base) }
            let resolved = String(cString: target), root = String(cString: base)
            guard resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw ImageGateError.badInput("\(shown): refused: a symlink to \(TerminalText.sanitize(resolved)), outside the entry's folder \(TerminalText.sanitize(root))")
            }
        }

        /// What identifies the entry from one run to the next: the vendor,
        /// the product and the image's path (its digest may change: that is
        /// a re-upload, reported as such).
        public var key: String { "\(vendor)/\(product)/\(image)" }
    }

    public var source: String
    public var entries: [Entry]
    /// Libvirt hosts the boots are spread over; empty: this machine.
    public var hosts: [HostSpec] = []
    /// SHA-256 of the manifest's text.
    public var digest: String

    public static func load(path: String) throws -> QueueManifest {
        // Any read failure is the one bad-input line below.
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ImageGateError.badInput("\(path): cannot read the queue manifest")
        }
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try parse(text, source: path, base: base)
    }

    /// The most checks of one entry in one run (`repeat`, `--repeat`).
    public static let maxRepeat = 20

    static let entryKeys: Set<String> = ["image", "vendor", "product", "version", "scenario", "profile", "service_ports", "tier", "boot", "repeat"]

    public static func parse(_ text: String, source: String, base: String) throws -> QueueManifest {
        let r = YAMLReader(source: source)
        let top = try r.mapping(try r.root(text), "", known: ["defaults", "entries", "hosts"])
        let defaults = try top["defaults"].map { try r.mapping($0, "defaults", known: entryKeys.subtracting(["image"])) } ?? [:]
        guard let entriesNode = top["entries"] else { throw ImageGateError.badInput("\(source): entries: missing (at least one)") }
        // `images/./a.qcow2` and `images//a.qcow2` are `images/a.qcow2`: one image, one key.
        func resolve(_ path: String) -> String {
            let standard = URL(fileURLWithPath: path.hasPrefix("/") ? path : base + "/" + path).standardized.path
            return path.hasSuffix("/") && !standard.hasSuffix("/") ? standard + "/" : standard
        }

        var entries: [Entry] = []
        for (index, node) in try r.sequence(entriesNode, "entries").enumerated() {
            let field = "entries[\(index)]"
            let own = try r.mapping(node, field, known: entryKeys)
            func value(_ key: String) -> (Node, String)? {
                if let node = own[key] { return (node, "\(field).\(key)") }
                return defaults[key].map { ($0, "defaults.\(key)") }
            }
            func string(_ key: String) throws -> String? { try value(key).map { try r.string($0.0, $0.1) } }
            guard let imageNode = own["image"] else { throw r.fail(node, field, "image: missing") }
            guard let vendor = try string("vendor"), !vendor.isEmpty else { throw r.fail(node, field, "vendor: missing") }
            guard let product = try string("product"), !product.isEmpty else { throw r.fail(node, field, "product: missing") }
            let tier = try string("tier")
            if let tier, !["standard", "fast"].contains(tier) { throw r.fail(value("tier")?.0, value("tier")!.1, "expected standard or fast") }
            let ports = try value("service_ports").map { node, name in
                try r.sequence(node, name).enumerated().map { try r.int($0.element, "\(name)[\($0.offset)]", 1...65535) }
            } ?? []
            let given = resolve(try r.string(imageNode, "\(field).image"))
            let images = try expand(given, node: imageNode, field: "\(field).image", reader: r)
            var isFolder: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: given, isDirectory: &isFolder) && isFolder.boolValue
                ? given : (given as NSString).deletingLastPathComponent
            for image in images {
                entries.append(Entry(image: image, vendor: vendor, product: product, version: try string("version") ?? "",
                                     scenario: try string("scenario").map(resolve), profile: try string("profile").map(resolve),
                                     servicePorts: ports, tier: tier, boot: try value("boot").map { try r.bool($0.0, $0.1) } ?? true,
                                     repeatCount: try value("repeat").map { try r.int($0.0, $0.1, 1...Self.maxRepeat) }, folder: folder))
            }
        }
        guard !entries.isEmpty else { throw r.fail(entriesNode, "entries", "no image (at least one entry)") }
        let keys = entries.map(\.key)
        if let twice = Dictionary(grouping: keys, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw r.fail(entriesNode, "entries", "\(twice) is listed twice")
        }
        var hosts: [HostSpec] = []
        if let node = top["hosts"] {
            for (index, item) in try r.sequence(node, "hosts").enumerated() {
                let text = try r.string(item, "hosts[\(index)]")
                do { hosts.append(try HostSpec(parsing: text)) } catch let error as ImageGateError where error.isBadInput { throw r.fail(item, "hosts[\(index)]", error.message) }
            }
            guard Set(hosts.map(\.uri)).count == hosts.count else { throw r.fail(node, "hosts", "a host is listed twice") }
        }
        var manifest = QueueManifest(source: source, entries: entries, digest: Digest.sha256(Array(text.utf8)))
        manifest.hosts = hosts
        return manifest
    }

    /// A file, a folder (its `.qcow2`, `.img` and `.raw` files) or a glob
    /// in the last path component (`*` and `?`), sorted.
    static func expand(_ path: String, node: Node, field: String, reader r: YAMLReader) throws -> [String] {
        var isDirectory: ObjCBool = false
        let manager = FileManager.default
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [path] }
            let names = try manager.contentsOfDirectory(atPath: path).filter { [".qcow2", ".img", ".raw"].contains(where: $0.hasSuffix) }
            guard !names.isEmpty else { throw r.fail(node, field, "\(path): a folder with no .qcow2, .img or .raw file") }
            return names.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
        let folder = (path as NSString).deletingLastPathComponent, pattern = (path as NSString).lastPathComponent
        guard pattern.contains("*") || pattern.contains("?") else { throw r.fail(node, field, "\(path): no such file") }
        // An unreadable folder holds no image: the entry is refused below as matching nothing.
        let names = ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).filter { fnmatch(pattern, $0, 0) == 0 }
        guard !names.isEmpty else { throw r.fail(node, field, "\(path): matches no file") }
        return names.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }
}

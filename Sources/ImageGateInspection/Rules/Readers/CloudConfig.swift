import ImageGateModel
import Yams

/// cloud-init's configuration as cloud-init merges it at boot:
/// `/etc/cloud/cloud.cfg`, then every `/etc/cloud/cloud.cfg.d/*.cfg` in
/// lexical order, a later file's value winning over an earlier one's;
/// mappings merged key by key, lists and scalars replaced whole (cloud-init's
/// default merge; a file's own `merge_how` is not followed). Every value
/// keeps the file and line it was read from. The files are the guest's:
/// each is read only if it is a regular file of at most 1 MiB, at most 256
/// of them, and the merge goes 8 mappings deep.
struct CloudConfig {
    /// One setting and where it was read.
    struct Value {
        var node: Node
        var file: String
        /// The line of its key, and that line as written (never the value
        /// serialised again: an alias can stand for far more than its file).
        var line: Int?
        var text: String

        var evidence: Evidence { Evidence(path: file, line: line, text) }
        /// A list of strings (or one string), at most 1024 of them.
        var strings: [String]? { node.sequence.map { $0.prefix(1024).compactMap(\.scalar?.string) } ?? node.scalar.map { [$0.string] } }
        var bool: Bool? { node.scalar.flatMap { ["true", "yes", "on"].contains($0.string.lowercased()) ? true : ["false", "no", "off"].contains($0.string.lowercased()) ? false : nil } }
    }

    indirect enum Setting {
        case mapping([String: Setting])
        case value(Value)
    }

    static let main = "/etc/cloud/cloud.cfg"
    static let dropIns = "/etc/cloud/cloud.cfg.d"
    static let maxFiles = 256
    static let maxBytes: Int64 = 1 << 20
    static let maxDepth = 8

    private(set) var root: [String: Setting] = [:]
    /// Files that could not be read or parsed (cloud-init skips them too).
    private(set) var problems: [String] = []

    /// nil when the image has no cloud.cfg.
    static func read(_ fs: any GuestFilesystem) async throws -> CloudConfig? {
        guard try await fs.exists(main) else { return nil }
        var config = CloudConfig()
        // cloud-init reads every *.cfg that is a file, a symlink to one included.
        let dropIns = (try await fs.list(Self.dropIns) ?? []).filter { $0.hasSuffix(".cfg") }.sorted().map { Self.dropIns + "/" + $0 }
        for file in ([main] + dropIns).prefix(maxFiles) {
            // Sized before it is read: a symlink is sized at its target.
            if let target = try await fs.resolve(file).last, let size = try await fs.size(target), size > maxBytes {
                config.problems.append("\(file): \(size) bytes, over the \(maxBytes >> 20) MiB read")
                continue
            }
            switch await fs.readRegular(file) {
            case .absent: continue
            case .notRegular(let why): config.problems.append("\(file): \(why)")
            case .unreadable(let why): config.problems.append(why)
            case .text(let text): config.merge(text, file: file)
            }
        }
        if dropIns.count + 1 > maxFiles { config.problems.append("more than \(maxFiles) files: the rest not read") }
        return config
    }

    /// Most nesting a file may have (flow brackets, or block indentation
    /// and `- ` on a line): the YAML parser builds its tree by recursion.
    static let maxNesting = 64

    /// How deeply `text` nests, as far as a reader that parses nothing can
    /// tell (quotes followed, so a bracket in a string does not count).
    static func nesting(_ text: String) -> Int {
        var deepest = 0, flow = 0, quote: UInt8?, lineStart = true, indent = 0, dashes = 0
        for byte in text.utf8 {
            if let open = quote {
                if byte == open { quote = nil }
                if byte == UInt8(ascii: "\n") { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\n"): lineStart = true; indent = 0; dashes = 0
            case UInt8(ascii: " ") where lineStart: indent += 1
            case UInt8(ascii: "-") where lineStart: dashes += 1
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte; lineStart = false
            case UInt8(ascii: "["), UInt8(ascii: "{"): flow += 1; lineStart = false
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1); lineStart = false
            default: lineStart = false
            }
            deepest = max(deepest, flow, indent / 2, dashes)
        }
        return deepest
    }

    /// Merges one file's YAML over what was read before it.
    mutating func merge(_ text: String, file: String) {
        guard Self.nesting(text) <= Self.maxNesting else {
            return problems.append("\(file): nested more than \(Self.maxNesting) levels deep: not read")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            return problems.append("\(file): not YAML cloud-init can read: \(TerminalText.line(String(describing: error)))")
        }
        guard let node else { return }
        let lines = Line.split(text)
        let source = Source(file: file) { number in
            number.flatMap { $0 >= 1 && $0 <= lines.count ? String(lines[$0 - 1].trimmed.prefix(200)) : nil } ?? ""
        }
        guard case let .mapping(entries) = Self.setting(node, source: source, line: nil, depth: 0) else {
            return problems.append("\(file): not a mapping at its top")
        }
        root = Self.merge(root, over: entries)
    }

    /// A file being merged, and its lines by number.
    struct Source {
        var file: String
        var text: (Int?) -> String
    }

    static func setting(_ node: Node, source: Source, line: Int?, depth: Int) -> Setting {
        guard depth < maxDepth, let mapping = node.mapping else {
            return .value(Value(node: node, file: source.file, line: line, text: source.text(line)))
        }
        var entries: [String: Setting] = [:]
        for (key, value) in mapping.prefix(4096) {
            guard let name = key.string else { continue }
            entries[name] = setting(value, source: source, line: key.mark?.line, depth: depth + 1)
        }
        return .mapping(entries)
    }

    static func merge(_ base: [String: Setting], over: [String: Setting]) -> [String: Setting] {
        var merged = base
        for (key, setting) in over {
            if case let .mapping(old)? = merged[key], case let .mapping(new) = setting {
                merged[key] = .mapping(merge(old, over: new))
            } else {
                merged[key] = setting
            }
        }
        return merged
    }

    /// The effective value at `path` (`value("network", "config")`); nil
    /// when unset or a mapping.
    func value(_ path: String...) -> Value? {
        var level = root
        for (index, key) in path.enumerated() {
            switch level[key] {
            case let .value(value)?: return index == path.count - 1 ? value : nil
            case let .mapping(next)?: level = next
            case nil: return nil
            }
        }
        return nil
    }

    /// A module's name as cloud-init matches it (`set-hostname`,
    /// `cc_set_hostname` and `set_hostname` are one).
    static func moduleName(_ entry: Node) -> String? {
        let name = entry.scalar?.string ?? entry.sequence?.first?.scalar?.string
        guard var name = name?.lowercased() else { return nil }
        if name.hasPrefix("cc_") { name = String(name.dropFirst(3)) }
        return name.replacingOccurrences(of: "-", with: "_")
    }

    /// The modules of every stage, each with where its list was set; nil
    /// when no stage's list is set.
    func modules() -> (names: Set<String>, lists: [Value])? {
        let lists = ["cloud_init_modules", "cloud_config_modules", "cloud_final_modules"].compactMap { value($0) }
        guard !lists.isEmpty else { return nil }
        return (Set(lists.flatMap { Array($0.node.sequence ?? []).prefix(1024).compactMap(Self.moduleName) }), lists)
    }
}

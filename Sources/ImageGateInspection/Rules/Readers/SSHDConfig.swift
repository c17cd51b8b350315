import Foundation
import ImageGateModel

/// sshd's configuration read as sshd reads it: `/etc/ssh/sshd_config`, and
/// each file an `Include` names, inserted where the `Include` stands (its
/// glob's matches in lexical order, a relative path under `/etc/ssh`, at
/// most 16 levels deep). Keywords are case-insensitive and may be followed
/// by `=`; for a global setting the first value read wins. A setting after
/// `Match` (up to `Match all`, or the end of the file the `Match` is in)
/// applies only to the connections the `Match` selects: it is kept as
/// conditional, with its `Match` line.
public struct SSHDConfig: Sendable {
    package struct Setting: Sendable, Equatable {
        /// Lowercased.
        package var keyword: String
        package var values: [String]
        /// Where it was read.
        package var evidence: Evidence
        /// The `Match` line it is under; nil for a global setting.
        package var match: String?
    }

    static let main = "/etc/ssh/sshd_config"
    static let maxDepth = 16
    static let maxFiles = 256

    /// Every setting, in the order sshd reads them.
    package private(set) var settings: [Setting] = []
    /// What could not be read (an included file, too deep an `Include`).
    package private(set) var problems: [String] = []

    /// The first global setting of `keyword`: sshd's effective one.
    package func effective(_ keyword: String) -> Setting? {
        settings.first { $0.keyword == keyword.lowercased() && $0.match == nil }
    }

    /// The settings of `keyword` under a `Match`.
    package func conditional(_ keyword: String) -> [Setting] {
        settings.filter { $0.keyword == keyword.lowercased() && $0.match != nil }
    }

    /// nil when there is no `/etc/ssh/sshd_config`.
    package static func read(_ fs: any GuestFilesystem) async throws -> SSHDConfig? {
        guard try await fs.exists(main) else { return nil }
        var config = SSHDConfig(), files = 0
        try await config.scan(main, fs: fs, depth: 0, match: nil, files: &files)
        return config
    }

    private mutating func scan(_ path: String, fs: any GuestFilesystem, depth: Int, match: String?, files: inout Int) async throws {
        files += 1
        guard files <= Self.maxFiles else { return problems.append("more than \(Self.maxFiles) configuration files: the rest not read") }
        guard let lines = try await fs.lines(path) else { return problems.append("\(path) (included) is missing") }
        var current = match
        for line in lines where !line.isCommentOrBlank {
            guard let (keyword, values) = Self.words(line.trimmed) else { continue }
            switch keyword {
            case "match":
                let all = values.count == 1 && values[0].lowercased() == "all"
                current = all ? match : line.trimmed
            case "include":
                guard depth + 1 < Self.maxDepth else {
                    problems.append("\(path):\(line.number): Include nested more than \(Self.maxDepth) deep (sshd refuses it)")
                    continue
                }
                for pattern in values {
                    for file in try await Self.expand(pattern.hasPrefix("/") ? pattern : "/etc/ssh/" + pattern, fs: fs) {
                        try await scan(file, fs: fs, depth: depth + 1, match: current, files: &files)
                    }
                }
            default:
                settings.append(Setting(keyword: keyword, values: values, evidence: .at(path, line), match: current))
            }
        }
    }

    /// A line's keyword (lowercased) and its arguments: the keyword ends at
    /// white space or `=`; arguments are split at white space, a double
    /// quoted one kept whole.
    public static func words(_ text: String) -> (String, [String])? {
        var rest = Substring(text)
        let keyword = rest.prefix { !$0.isWhitespace && $0 != "=" }
        guard !keyword.isEmpty else { return nil }
        rest = rest.dropFirst(keyword.count).drop { $0.isWhitespace }
        if rest.first == "=" { rest = rest.dropFirst().drop { $0.isWhitespace } }
        var values: [String] = [], word = "", quoted = false, started = false
        for character in rest {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if character.isWhitespace && !quoted {
                if started { values.append(word) }
                word = ""
                started = false
            } else {
                word.append(character)
                started = true
            }
        }
        if started { values.append(word) }
        return (keyword.lowercased(), values)
    }

    /// A path whose components may hold `*`, `?` or `[…]`, expanded in
    /// the guest, matches sorted; a path without them as it is.
    static func expand(_ pattern: String, fs: any GuestFilesystem) async throws -> [String] {
        var found = [""]
        for component in FileName.components(pattern) {
            guard component.contains(where: { "*?[".contains($0) }) else {
                found = found.map { $0 + "/" + component }
                continue
            }
            var next: [String] = []
            for directory in found {
                for name in (try await fs.list(directory.isEmpty ? "/" : directory) ?? []).sorted()
                where name.utf8.first != UInt8(ascii: ".") && fnmatch(component, name, 0) == 0 {
                    next.append(directory + "/" + name)
                }
            }
            found = Array(next.prefix(maxFiles))
        }
        return found
    }
}

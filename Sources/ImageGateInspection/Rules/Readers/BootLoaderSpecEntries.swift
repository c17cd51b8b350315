import ImageGateModel

/// The menu entries GRUB's `blscfg` command makes from BootLoaderSpec
/// files (`/boot/loader/entries/*.conf`, the RPM families' layout): one per
/// file, its `--id` the file's name without `.conf`, newest `version`
/// first, `$kernelopts` (and any other `$variable` on the `options` line)
/// taken from grubenv.
package enum BootLoaderSpecEntries {
    package static let directory = "/boot/loader/entries"
    /// Most entry files read.
    static let maxEntries = 256

    package static func read(_ fs: any GuestFilesystem, environment: [String: String]) async throws -> [GrubMenu.Entry] {
        var entries: [(version: String, entry: GrubMenu.Entry)] = []
        for file in try await fs.files(in: directory, suffix: ".conf").prefix(maxEntries) {
            guard let lines = try await fs.lines(file), let first = lines.first else { continue }
            var fields: [String: (value: String, line: Line)] = [:]
            var initrds: [(value: String, line: Line)] = []
            for line in lines where !line.isCommentOrBlank {
                let words = line.trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let key = words.first else { continue }
                let value = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
                if key == "initrd" { initrds.append((value, line)) } else if fields[key] == nil { fields[key] = (value, line) }
            }
            let id = String(GuestPath.name(of: file).dropLast(".conf".count))
            var entry = GrubMenu.Entry(title: fields["title"]?.value ?? id, id: id, line: first, source: file)
            if let linux = fields["linux"] {
                let options = fields["options"].map { expand($0.value, environment) } ?? []
                entry.commands.append(GrubMenu.Command(words: ["linux", linux.value] + options, line: linux.line, conditional: false))
                entry.optionsLine = fields["options"]?.line
            }
            for initrd in initrds {
                let files = expand(initrd.value, environment)
                if !files.isEmpty { entry.commands.append(GrubMenu.Command(words: ["initrd"] + files, line: initrd.line, conditional: false)) }
            }
            entries.append((fields["version"]?.value ?? id, entry))
        }
        return entries.sorted { VersionOrder.newerFirst($0.version, $1.version, ties: ($0.entry.source, $1.entry.source)) }.map(\.entry)
    }

    /// Words with each `$name` or `${name}` replaced by grubenv's value
    /// (empty when unset), split again as GRUB splits an expanded variable.
    static func expand(_ text: String, _ environment: [String: String]) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).flatMap { word -> [String] in
            let name = word.hasPrefix("${") && word.hasSuffix("}") ? word.dropFirst(2).dropLast() : word.hasPrefix("$") ? word.dropFirst() : nil
            guard let name else { return [String(word)] }
            return (environment[String(name)] ?? "").split(separator: " ").map(String.init)
        }
    }
}

import ImageGateModel

/// grub.cfg as GRUB's `normal` module reads it, as far as a reader that
/// runs nothing can: the menu (entries and submenus, numbered as GRUB
/// numbers them), the commands GRUB runs on its way to the menu and inside
/// each entry, every `set default=`, and whether BootLoaderSpec entries
/// (`blscfg`) make the menu. A command under `if`, a loop or a `function`
/// is marked conditional: it runs only when its condition holds.
package struct GrubMenu: Sendable {
    /// One simple command: its words as GRUB's lexer splits them (quotes
    /// removed, `$variables` kept as written).
    package struct Command: Sendable, Equatable {
        package var words: [String]
        package var line: Line
        package var conditional: Bool
        package var name: String { words[0] }
    }

    /// A `menuentry` or a `submenu`.
    package struct Entry: Sendable, Equatable {
        package var title: String
        /// Its `--id` (what `$menuentry_id_option` expands to).
        package var id: String?
        /// The `menuentry` line, or a BootLoaderSpec entry's first line.
        package var line: Line
        /// The file the entry was read from.
        package var source: String
        /// Its own commands, not its submenu's.
        package var commands: [Command] = []
        /// A submenu's entries (empty for a menu entry).
        package var children: [Entry] = []
        package var isSubmenu = false
        /// A BootLoaderSpec entry's `options` line, which holds its command
        /// line (its `linux` line holds only the kernel).
        package var optionsLine: Line?
    }

    package var path: String
    /// The top-level menu, in GRUB's order.
    package var entries: [Entry] = []
    /// Commands outside every entry, in the order GRUB runs them.
    package var topLevel: [Command] = []
    /// Every `set default=VALUE`, conditional or not, in file order.
    package var defaults: [Command] = []
    /// A `blscfg` command puts the BootLoaderSpec entries in the menu.
    package var usesBootLoaderSpec = false
    /// The first `configfile`, `source` or `normal FILE` outside every
    /// entry: GRUB reads another file, whose menu this one is not.
    package var handOver: Command?

    /// Most entries read, and most nested blocks followed; beyond them the
    /// file is not GRUB's own output.
    static let maxEntries = 1024
    static let maxDepth = 64

    package init(path: String, lines: [Line]) {
        self.path = path
        enum Block { case condition, function, entry }
        var blocks: [Block] = []
        var open: [Entry] = []
        func close(_ entry: Entry) {
            if open.isEmpty {
                if entries.count < Self.maxEntries { entries.append(entry) }
            } else if open[open.count - 1].children.count < Self.maxEntries {
                open[open.count - 1].children.append(entry)
            }
        }
        for line in lines {
            for var words in Self.commands(line.text) {
                while let first = words.first, ["then", "else", "do"].contains(first) { words.removeFirst() }
                if words.last == "{" { words.removeLast() }
                guard let first = words.first else { continue }
                switch first {
                case "if", "while", "until", "for":
                    if blocks.count < Self.maxDepth { blocks.append(.condition) }
                case "elif", "{":
                    break
                case "fi", "done":
                    if blocks.last == .condition { blocks.removeLast() }
                case "function":
                    if blocks.count < Self.maxDepth { blocks.append(.function) }
                case "menuentry", "submenu":
                    guard blocks.count < Self.maxDepth else { continue }
                    blocks.append(.entry)
                    var entry = Self.entry(Array(words.dropFirst()), line: line, source: path)
                    entry.isSubmenu = first == "submenu"
                    open.append(entry)
                case "}":
                    guard let block = blocks.popLast() else { continue }
                    if block == .entry, let entry = open.popLast() { close(entry) }
                default:
                    let innermostEntry = blocks.lastIndex(of: .entry)
                    let conditional = blocks[((innermostEntry ?? -1) + 1)...].contains { $0 != .entry }
                    let command = Command(words: words, line: line, conditional: conditional)
                    if first == "set", words.count > 1, words[1].hasPrefix("default=") { defaults.append(command) }
                    if first == "blscfg" { usesBootLoaderSpec = true }
                    if innermostEntry == nil, handOver == nil, ["configfile", "source", "normal"].contains(first), words.count > 1 { handOver = command }
                    if innermostEntry == nil {
                        if !conditional { topLevel.append(command) }
                    } else if !open.isEmpty {
                        open[open.count - 1].commands.append(command)
                    }
                }
            }
        }
        // An entry left open at the end of the file is not in GRUB's menu (a syntax error).
    }

    /// The entry's title and `--id` from the words after `menuentry`.
    static func entry(_ arguments: [String], line: Line, source: String) -> Entry {
        var title: String?, id: String?
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            switch word {
            case "--id", "$menuentry_id_option", "${menuentry_id_option}":
                index += 1
                if index < arguments.count { id = arguments[index] }
            case "--class", "--users", "--hotkey":
                index += 1
            default:
                if !word.hasPrefix("--"), title == nil { title = word }
            }
            index += 1
        }
        return Entry(title: title ?? "", id: id, line: line, source: source)
    }

    /// A line split into simple commands (at unquoted `;`), each into
    /// words as GRUB's lexer splits them: quotes removed, a backslash
    /// escaping the next character, a `#` starting a word ending the line.
    static func commands(_ text: String) -> [[String]] {
        var commands: [[String]] = [], words: [String] = []
        var current = "", inWord = false, quote: Character?, escaped = false
        func endWord() {
            if inWord { words.append(current) }
            current = ""
            inWord = false
        }
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else if character == "\\", open == "\"" { escaped = true } else { current.append(character) }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t", "\r": endWord()
            case ";":
                endWord()
                commands.append(words)
                words = []
            case "#" where !inWord:
                endWord()
                commands.append(words)
                return commands.filter { !$0.isEmpty }
            default:
                current.append(character)
                inWord = true
            }
        }
        endWord()
        commands.append(words)
        return commands.filter { !$0.isEmpty }
    }

    /// The variables of a grubenv block (`NAME=value` lines; `#` padding).
    package static func environment(_ text: String) -> [String: String] {
        var variables: [String: String] = [:]
        for line in text.split(separator: "\n").prefix(256) where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return variables
    }

    /// The value `default` holds when the menu is shown: a one-time
    /// `next_entry` from grubenv when grub.cfg uses it, else the last
    /// other `set default=`, `$saved_entry` taken from grubenv; "0" when
    /// nothing sets it or it is empty.
    package func defaultValue(environment: [String: String]) -> (value: String, set: Command?) {
        func expand(_ text: String) -> String {
            var value = text
            for name in ["saved_entry", "next_entry", "default"] {
                for form in ["${\(name)}", "$\(name)"] { value = value.replacingOccurrences(of: form, with: environment[name] ?? "") }
            }
            return value
        }
        let values = defaults.map { (raw: String($0.words[1].dropFirst("default=".count)), command: $0) }
        if let once = values.first(where: { $0.raw.contains("next_entry") }), let next = environment["next_entry"], !next.isEmpty {
            return (next, once.command)
        }
        guard let chosen = values.last(where: { !$0.raw.contains("next_entry") }) else { return ("0", nil) }
        // Empty (an unset `saved_entry`): GRUB boots the first entry.
        let value = expand(chosen.raw)
        return (value.isEmpty ? "0" : value, chosen.command)
    }

    /// The entry `value` names, the way GRUB reads `default`: a number
    /// counts the menu's items from 0, a title or an `--id` names one, and
    /// `>` goes into a submenu. GRUB boots the first entry when `default`
    /// names nothing: `fellBack` says so.
    package static func entry(named value: String, in menu: [Entry]) -> (entry: Entry, fellBack: Bool)? {
        var level = menu, found: Entry?
        for part in value.split(separator: ">", omittingEmptySubsequences: false).map(String.init) {
            let item = Int(part).flatMap { $0 >= 0 && $0 < level.count ? level[$0] : nil }
                ?? level.first { $0.id == part || $0.title == part }
            guard let item else { found = nil; break }
            found = item
            level = item.children
        }
        if let found, !found.isSubmenu { return (found, false) }
        guard let first = menu.first, !first.isSubmenu else { return nil }
        return (first, true)
    }
}

/// The kernel, initramfs and command line one menu entry boots.
package struct BootEntry: Sendable {
    package var entry: GrubMenu.Entry
    package var kernel: GrubMenu.Command?
    package var initrds: [(file: String, command: GrubMenu.Command)] = []
    /// The command line the kernel is given.
    package var arguments: [String] = []
    /// The line that holds them.
    package var argumentsLine: Line?

    /// `linux` and `initrd` as GRUB runs them on a BIOS machine: the first
    /// kernel command that holds, preferring one outside any condition,
    /// and every `initrd` after it.
    package init(_ entry: GrubMenu.Entry) {
        self.entry = entry
        let loaders = entry.commands.filter { ["linux", "linux16", "linuxefi"].contains($0.name) && $0.words.count > 1 }
        kernel = loaders.first { !$0.conditional && $0.name != "linuxefi" } ?? loaders.first { $0.name != "linuxefi" } ?? loaders.first
        guard let kernel, let start = entry.commands.firstIndex(of: kernel) else { return }
        arguments = Array(kernel.words.dropFirst(2))
        argumentsLine = entry.optionsLine ?? kernel.line
        for command in entry.commands[start...] where ["initrd", "initrd16", "initrdefi"].contains(command.name) {
            initrds += command.words.dropFirst().map { ($0, command) }
        }
    }
}

import Foundation
import ImageGateInspection
import ImageGateModel

/// The serial console as it arrives: complete lines (escape sequences
/// stripped), when each boot stage was first seen, and every match of the
/// badness table. Pure: fed text and times, so it is unit-tested on
/// recorded consoles.
public struct ConsoleLog: Sendable {
    /// Boot stages in the order a healthy boot reaches them.
    public enum Stage: String, Sendable, Codable, CaseIterable {
        case firstByte = "first byte", bootLoader = "boot loader", kernel, initSystem = "init"
        case loginPrompt = "login prompt", cloudInitFinished = "cloud-init finished"
    }

    /// A console line that proves something, and when it arrived.
    public struct Mark: Sendable, Codable, Equatable {
        public var seconds: Double
        public var line: Int
        public var text: String

        public init(seconds: Double, line: Int, text: String) {
            self.seconds = seconds; self.line = line; self.text = text
        }
    }

    /// A match of the badness table.
    public struct Hit: Sendable, Codable, Equatable {
        public var pattern: Badness
        public var mark: Mark

        public init(pattern: Badness, mark: Mark) {
            self.pattern = pattern; self.mark = mark
        }
    }

    /// How much of a console is kept: a guest controls every byte of it.
    public struct Limits: Sendable, Equatable {
        /// Longer lines are cut here (the rest up to the newline dropped).
        public var lineScalars = 4096
        /// Lines kept in memory (and in the reports); later lines are still
        /// scanned for stages and badness, then dropped.
        public var keptLines = 20_000
        /// More bytes than this is a flood: the boot is ended.
        public var floodBytes = 32 << 20

        public init() {}
    }

    public let limits: Limits
    public private(set) var lines: [String] = []
    /// Lines scanned but not kept (past ``Limits/keptLines``).
    public private(set) var droppedLines = 0
    /// Lines cut at ``Limits/lineScalars``.
    public private(set) var truncatedLines = 0
    /// Scalars dropped past ``Limits/lineScalars``: what of the console is
    /// lines too long to read.
    public private(set) var droppedScalars = 0
    public private(set) var partial = ""
    /// How long the unfinished last line is as the guest wrote it (its
    /// kept part, ``partial``, stops at ``Limits/lineScalars``).
    public private(set) var partialLength = 0
    public private(set) var stages: [Stage: Mark] = [:]
    public private(set) var hits: [Hit] = []
    /// The host name the last login prompt showed (`NAME login:`).
    public private(set) var loginHost: String?
    /// The first line cloud-init printed, if any.
    public private(set) var cloudInitActivity: Mark?
    /// The datasource cloud-init's finished line names
    /// (`… finished at …. Datasource DataSourceNoCloud [seed=/dev/sr0].  Up …`).
    public private(set) var cloudInitDatasource: String?
    public private(set) var byteCount = 0
    /// When the last byte came, in seconds after the VM started.
    public private(set) var lastByteSeconds: Double = 0
    /// Scalars of the current line beyond the cap, being skipped to its newline.
    private var skippingRestOfLine = false
    /// Every line seen, kept or not.
    public private(set) var lineCount = 0
    /// The line a prompt was found on before its newline came.
    private var promptHitLine = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The first fatal hit: the boot cannot go on.
    public var fatal: Hit? { hits.first { $0.pattern.fatal } }

    /// More bytes arrived than ``Limits/floodBytes``.
    public var flooded: Bool { byteCount > limits.floodBytes }

    /// The kept lines, then a note of what was not kept.
    public var text: String {
        var all = lines
        if droppedLines > 0 { all.append("[imagegate: \(droppedLines) later lines not kept (limit \(limits.keptLines))]") }
        if !partial.isEmpty { all.append(partial) }
        return all.joined(separator: "\n")
    }

    /// Feeds bytes that arrived `seconds` after the VM started. Linear in
    /// the chunk: each scalar is looked at once.
    public mutating func feed(_ chunk: String, at seconds: Double) {
        guard !chunk.isEmpty else { return }
        byteCount += chunk.utf8.count
        lastByteSeconds = seconds
        if stages[.firstByte] == nil { stages[.firstByte] = Mark(seconds: seconds, line: lineCount + 1, text: "") }
        var current = String.UnicodeScalarView(partial.unicodeScalars)
        var length = current.count
        for scalar in chunk.unicodeScalars {
            partialLength = scalar == "\n" ? 0 : partialLength + 1
            if scalar == "\n" {
                // CR LF and lone CRs are dropped by clean(_:).
                end(line: String(current), at: seconds)
                current = String.UnicodeScalarView()
                length = 0
                skippingRestOfLine = false
            } else if skippingRestOfLine {
                droppedScalars += 1
            } else {
                if length >= limits.lineScalars {
                    skippingRestOfLine = true
                    truncatedLines += 1
                    droppedScalars += 1
                } else {
                    current.append(scalar)
                    length += 1
                }
            }
        }
        partial = String(current)
        // A login prompt waits for input: it has no newline yet.
        let pending = Self.clean(partial).trimmingCharacters(in: .whitespaces)
        if let host = Self.loginHost(in: pending) {
            loginHost = host
            if stages[.loginPrompt] == nil { stages[.loginPrompt] = Mark(seconds: seconds, line: lineCount + 1, text: pending) }
        }
        // A shell or boot loader prompt waits for input: it has no newline either.
        if !pending.isEmpty, promptHitLine != lineCount + 1 {
            let scalars = Array(pending.unicodeScalars)
            if let pattern = Self.promptPatterns.first(where: { $0.matches(scalars: scalars) }) {
                hits.append(Hit(pattern: pattern, mark: Mark(seconds: seconds, line: lineCount + 1, text: pending)))
                promptHitLine = lineCount + 1
            }
        }
    }

    /// The patterns of classes whose lines are prompts.
    static let promptPatterns = Badness.table.filter { pattern in
        pattern.failureClass.flatMap(FailureClass.named)?.prompt == true
    }

    private mutating func end(line raw: String, at seconds: Double) {
        let line = Self.clean(raw)
        lineCount += 1
        if lines.count < limits.keptLines { lines.append(line) } else { droppedLines += 1 }
        // An empty line proves nothing (and a flood is mostly newlines).
        if !line.isEmpty { scan(line, number: lineCount, at: seconds) }
    }

    private mutating func scan(_ line: String, number: Int, at seconds: Double) {
        let mark = Mark(seconds: seconds, line: number, text: line)
        func reach(_ stage: Stage) { if stages[stage] == nil { stages[stage] = mark } }
        if ["GNU GRUB", "Booting `", "Loading Linux", "SYSLINUX", "ISOLINUX"].contains(where: line.contains) { reach(.bootLoader) }
        if line.contains("Linux version ") { reach(.kernel) }
        if stages[.kernel] != nil || stages[.bootLoader] != nil,
           ["Welcome to ", "systemd[1]:", "Run /sbin/init", "Run /init", "INIT: version", "Starting systemd-"].contains(where: line.contains),
           !line.contains("Welcome to GRUB") {
            reach(.initSystem)
        }
        if let host = Self.loginHost(in: line) {
            loginHost = host
            reach(.loginPrompt)
        }
        if line.contains("Cloud-init v.") && line.contains(" finished at "), stages[.cloudInitFinished] == nil {
            reach(.cloudInitFinished)
            cloudInitDatasource = Self.datasource(inFinishedLine: line)
        }
        if cloudInitActivity == nil, line.contains("cloud-init") || line.contains("Cloud-init v.") || line.hasPrefix("ci-info:") {
            cloudInitActivity = mark
        }
        // A prompt already counted before its newline came is not counted twice.
        guard number != promptHitLine else { return }
        let scalars = Array(line.unicodeScalars)
        for pattern in Badness.table where pattern.matches(scalars: scalars) {
            hits.append(Hit(pattern: pattern, mark: mark))
            break
        }
    }

    /// The datasource's class name in cloud-init's finished line, if it
    /// names one (`Datasource DataSourceNone.`).
    static func datasource(inFinishedLine line: String) -> String? {
        guard let range = line.range(of: "Datasource ") else { return nil }
        let name = line[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : String(name)
    }

    /// `NAME login:` at the end of a line.
    static func loginHost(in line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(" login:") else { return nil }
        let words = trimmed.dropLast(" login:".count).split(separator: " ")
        guard let host = words.last, words.count <= 2 else { return nil }
        return String(host)
    }

    /// Removes ANSI escape sequences, carriage returns and every other
    /// control a terminal would act on (C0, DEL, C1, bidirectional
    /// overrides): GRUB and systemd draw with them, a hostile guest injects
    /// with them.
    package static func clean(_ line: String) -> String {
        var out = ""
        var iterator = line.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if scalar == "\u{1B}" {
                // CSI: ESC [ params final-byte; other escapes: one more byte.
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                }
                continue
            }
            if scalar == "\n" || !TerminalText.isPrintable(scalar) { continue }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// The console lines around `line` (1-based), for evidence.
    public func context(of line: Int, before: Int = 2, after: Int = 2) -> [String] {
        let low = max(0, line - 1 - before), high = min(lines.count, line + after)
        return low < high ? Array(lines[low..<high]) : []
    }
}

/// A console line that means the boot went wrong (coreos-assembler's kola
/// keeps a table like this): one signature of a ``FailureClass``. Fatal
/// patterns end the boot at once.
public struct Badness: Sendable, Codable, Equatable {
    public let text: String
    public var meaning: String
    public var fatal: Bool
    /// The BOOT rule it breaks ("": none, it is evidence).
    public var rule: String
    /// The ``FailureClass`` it is a signature of.
    public var failureClass: String?
    /// `text` cut at its `*`s, once: every console line is matched
    /// against every pattern.
    private let parts: [[Unicode.Scalar]]

    public init(text: String, meaning: String, fatal: Bool, rule: String = "", failureClass: String? = nil) {
        self.text = text
        self.meaning = meaning
        self.fatal = fatal
        self.rule = rule
        self.failureClass = failureClass
        parts = Self.parts(of: text)
    }

    enum CodingKeys: String, CodingKey {
        case text, meaning, fatal, rule, failureClass
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(text: try c.decode(String.self, forKey: .text), meaning: try c.decode(String.self, forKey: .meaning),
                  fatal: try c.decode(Bool.self, forKey: .fatal), rule: try c.decode(String.self, forKey: .rule),
                  failureClass: try c.decodeIfPresent(String.self, forKey: .failureClass))
    }

    static func parts(of text: String) -> [[Unicode.Scalar]] {
        text.split(separator: "*", omittingEmptySubsequences: true).map { Array($0.unicodeScalars) }
    }

    /// Whether `line` holds the pattern as words of their own: where the
    /// pattern begins (or ends) with a letter, digit or underscore, the
    /// character before (or after) it must not be one, so `BUG: ` is not
    /// found in `DEBUG: ` nor `Oops: ` in `Whoops: `. A `*` in the
    /// pattern stands for any run of characters.
    public func matches(_ line: String) -> Bool {
        matches(scalars: Array(line.unicodeScalars))
    }

    /// ``matches(_:)`` on a line already split into scalars (the console
    /// splits each line once for the whole table).
    func matches(scalars: [Unicode.Scalar]) -> Bool {
        guard let head = parts.first, scalars.count >= head.count else { return false }
        func isWord(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil }
        func find(_ part: [Unicode.Scalar], from: Int, boundedStart: Bool, boundedEnd: Bool) -> Int? {
            guard scalars.count >= part.count, from <= scalars.count - part.count else { return nil }
            for start in from...(scalars.count - part.count) where scalars[start] == part[0] {
                guard scalars[start..<(start + part.count)].elementsEqual(part) else { continue }
                if boundedStart, isWord(part[0]), start > 0, isWord(scalars[start - 1]) { continue }
                let after = start + part.count
                if boundedEnd, isWord(part[part.count - 1]), after < scalars.count, isWord(scalars[after]) { continue }
                return after
            }
            return nil
        }
        // Each word-bounded start of the first part, then the rest in order
        // (the earliest place of each is the best for those after it).
        var from = 0
        while let afterHead = find(head, from: from, boundedStart: true, boundedEnd: parts.count == 1) {
            var position: Int? = afterHead
            for (index, part) in parts.enumerated().dropFirst() {
                guard let at = position else { break }
                position = find(part, from: at, boundedStart: false, boundedEnd: index == parts.count - 1)
            }
            if position != nil { return true }
            from = afterHead - head.count + 1
        }
        return false
    }

    /// Every pattern, in ``FailureClass/precedence``: a line counts for the
    /// first it matches. Each carries the BOOT rule that declares its class
    /// ("" for a class that is only evidence).
    public static let table: [Badness] = FailureClass.precedence.flatMap { failure in
        failure.patterns(rule: BootRules.all.first { $0.failureClasses.contains(failure) }?.id ?? "")
    }
}

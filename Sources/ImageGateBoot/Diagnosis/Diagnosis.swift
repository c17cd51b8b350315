import Foundation
import ImageGateModel

/// For one failed or unjudged BOOT rule, the lines of the guest's own logs
/// and configuration that explain it (``PostMortem``), each with its file
/// (or the journal) and line, picked by each rule's ``BootRule/diagnosis``.
public struct Diagnosis: Sendable, Codable, Equatable {
    public struct Excerpt: Sendable, Codable, Equatable {
        /// A guest path, or `journal` (then `line` is the entry's number
        /// among the kept entries of the last boot, and `unit` its source).
        public var source: String
        public var line: Int
        public var unit: String?
        public var text: String
    }

    public var rule: String
    public var excerpts: [Excerpt]

    /// At most this many excerpts per rule.
    static let maxExcerpts = 80
    /// At most this many characters of one line.
    package static let maxLine = 400

    /// The diagnoses of `findings` that did not pass, from `postMortem`.
    public static func diagnose(_ findings: [Finding], from postMortem: PostMortem) -> [Diagnosis] {
        findings.filter { $0.rule.hasPrefix("BOOT-") && ($0.outcome == .fail || $0.outcome == .couldNotCheck || $0.outcome == .warning) }
            .compactMap { finding in
                let pick = BootRules.all.first { $0.id == finding.rule }?.diagnosis ?? DiagnosisPick.fallback
                let excerpts = pick.excerpts(from: postMortem)
                return excerpts.isEmpty ? nil : Diagnosis(rule: finding.rule, excerpts: Array(excerpts.prefix(maxExcerpts)))
            }
    }
}

/// Which lines explain a rule: kola's badness table turned round — per
/// rule, the guest files to quote (whole, or the lines matching anchored
/// substrings, a Python traceback with its whole body) and the journal
/// entries to quote (by unit and priority, or matching substrings).
struct DiagnosisPick: Sendable {
    struct FilePick: Sendable {
        /// A path, or a folder (ending in `/`) whose files all match.
        var path: String
        /// Lines containing one of these (case-insensitive); empty: the whole file.
        var containing: [String] = []
        /// Quoted whole: the file's last `wholeTail` lines.
        var wholeTail = 40
        /// Only the lines from the last one containing this on (a log
        /// appended to by every boot: this boot's part).
        var from: String?
    }

    struct JournalPick: Sendable {
        /// Entries whose unit or identifier starts with one of these.
        var sources: [String] = []
        /// Entries of any source at this priority or more urgent.
        var priorityAtMost: Int?
        /// Entries whose message contains one of these (case-insensitive).
        var containing: [String] = []
    }

    var files: [FilePick]
    var journal: JournalPick

    static let cloudInitLog = "/var/log/cloud-init.log"
    /// The line cloud-init's first stage writes in each boot, in both its
    /// logs (`Cloud-init v. 22.4.2 running 'init-local' at …`).
    static let cloudInitStart = "running 'init-local'"
    static let networkConfiguration = ["/etc/netplan/", "/etc/network/interfaces", "/etc/network/interfaces.d/", "/etc/sysconfig/network-scripts/",
                                       "/etc/NetworkManager/system-connections/", "/etc/systemd/network/"]

    // The pick of each BOOT rule that has one (``BootRule/diagnosis``).
    static let cloudInit = DiagnosisPick(
            files: [
                FilePick(path: cloudInitLog, containing: ["[WARNING]", "[ERROR]", "[CRITICAL]", "Traceback (most recent call last)", "failed"], from: cloudInitStart),
                FilePick(path: "/var/log/cloud-init-output.log", containing: ["Traceback", "failed", "error"], from: cloudInitStart),
                FilePick(path: "/var/lib/cloud/data/result.json"),
            ],
            journal: JournalPick(sources: ["cloud-init", "cloud-config", "cloud-final"], priorityAtMost: nil, containing: []))
    static let network = DiagnosisPick(
            files: networkConfiguration.map { FilePick(path: $0) } + [
                FilePick(path: cloudInitLog, containing: ["network config", "network_config", "Applying network", "renderer", "fallback", "No network", "mac address"],
                         from: cloudInitStart),
            ],
            journal: JournalPick(sources: ["systemd-networkd", "NetworkManager", "networking", "ifup", "ifupdown", "dhclient", "dhcpcd", "network", "wicked"],
                                 containing: ["renamed from", "link is not ready", "Link UP", "Link DOWN", "no carrier"]))
    static let noPanic = DiagnosisPick(
            files: [FilePick(path: "/etc/fstab")],
            journal: JournalPick(priorityAtMost: 3, containing: ["Failed to mount", "Dependency failed", "emergency", "Timed out waiting for device", "failed with result"]))
    static let dataDisk = DiagnosisPick(
            files: [FilePick(path: "/etc/fstab")],
            journal: JournalPick(sources: ["data.mount", "systemd-fsck", "cloud-init"], containing: ["/data", "Failed to mount"]))
    static let hostname = DiagnosisPick(
            files: [FilePick(path: "/etc/hostname"), FilePick(path: cloudInitLog, containing: ["hostname"], from: cloudInitStart)],
            journal: JournalPick(sources: ["systemd-hostnamed"], containing: ["hostname"]))
    static let auditd = DiagnosisPick(files: [], journal: JournalPick(sources: ["auditd", "augenrules", "audit"]))
    static let firewalld = DiagnosisPick(files: [], journal: JournalPick(sources: ["firewalld"]))

    /// Any other BOOT rule: the guest's errors.
    static let fallback = DiagnosisPick(files: [], journal: JournalPick(priorityAtMost: 3))

    func excerpts(from postMortem: PostMortem) -> [Diagnosis.Excerpt] {
        var excerpts: [Diagnosis.Excerpt] = []
        for pick in files {
            let matching = postMortem.files.filter { pick.path.hasSuffix("/") ? $0.path.hasPrefix(pick.path) : $0.path == pick.path }
            for file in matching { excerpts += Self.lines(of: file, pick) }
        }
        for line in postMortem.journal where journal.matches(line) {
            excerpts.append(.init(source: "journal", line: line.number, unit: line.source, text: Self.cut(line.message)))
        }
        return excerpts
    }

    /// A file's lines that `pick` asks for; a Python traceback whole (its
    /// indented frames, the exception and the lines it goes on with, up to
    /// the log's next dated record, at most 12).
    static func lines(of file: PostMortem.GuestFile, _ pick: FilePick) -> [Diagnosis.Excerpt] {
        let lines = file.lines
        // A file too large to count: its tail's lines, numbered from 1.
        let number = { (index: Int) in file.firstLine == 0 ? index + 1 : file.firstLine + index }
        let source = file.firstLine == 0 ? "\(file.path) (its last \(file.text.utf8.count) bytes)" : file.path
        guard !pick.containing.isEmpty else {
            return lines.indices.suffix(pick.wholeTail).filter { !lines[$0].isEmpty }
                .map { .init(source: source, line: number($0), text: cut(lines[$0])) }
        }
        var excerpts: [Diagnosis.Excerpt] = []
        // This boot's part: from the last line that starts one.
        var index = pick.from.flatMap { marker in lines.lastIndex { $0.contains(marker) } } ?? lines.startIndex
        while index < lines.endIndex {
            let line = lines[index]
            if line.contains("Traceback (most recent call last)") {
                var end = index + 1
                while end < lines.endIndex, lines[end].hasPrefix(" ") || lines[end].hasPrefix("\t") { end += 1 }
                // The exception, and what it says on the lines after it, up
                // to the log's next record (a line starting with its date).
                var message = 0
                while end < lines.endIndex, message < 12, !lines[end].isEmpty, message == 0 || !(lines[end].first?.isNumber ?? false) {
                    end += 1
                    message += 1
                }
                excerpts += (index..<end).map { .init(source: source, line: number($0), text: cut(lines[$0])) }
                index = end
                continue
            }
            if pick.containing.contains(where: { line.range(of: $0, options: .caseInsensitive) != nil }) {
                excerpts.append(.init(source: source, line: number(index), text: cut(line)))
            }
            index += 1
        }
        return excerpts
    }

    static func cut<S: StringProtocol>(_ text: S) -> String {
        text.count > Diagnosis.maxLine ? String(text.prefix(Diagnosis.maxLine)) + "…" : String(text)
    }
}

extension DiagnosisPick.JournalPick {
    func matches(_ line: PostMortem.JournalLine) -> Bool {
        if sources.contains(where: { line.source.hasPrefix($0) }) { return true }
        if let priorityAtMost, line.priority <= priorityAtMost { return true }
        return containing.contains { line.message.range(of: $0, options: .caseInsensitive) != nil }
    }
}

extension Diagnosis.Excerpt {
    /// `/var/log/cloud-init.log:123`, or `journal #45 (systemd-networkd.service)`.
    public var location: String {
        source == "journal" ? "journal #\(line)" + (unit.map { " (\($0))" } ?? "") : "\(source):\(line)"
    }
}

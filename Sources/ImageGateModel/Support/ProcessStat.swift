import Foundation

/// The fields of `/proc/PID/stat` ImageGate reads.
package struct ProcessStat {
    /// The command name (at most 15 bytes), between the parentheses.
    package var command: String
    /// R, S, D, Z, ...
    package var state: Character
    package var parent: pid_t
    /// Clock ticks after boot when it started (field 22).
    var startTime: UInt64?

    package init?(pid: pid_t) {
        // A process that exited meanwhile has no stat: nil says so.
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        self.init(text)
    }

    package init?(_ text: String) {
        // The command may itself hold spaces and parentheses: it ends at the last ')'.
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        command = String(text[text.index(after: open)..<close])
        self.state = state
        self.parent = parent
        // Fields after the command start at field 3; the start time is field 22.
        startTime = fields.count > 19 ? UInt64(fields[19]) : nil
    }
}

import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// Progress of boots: on a terminal one live line per instance (stage,
/// elapsed, deadline); otherwise plain timestamped lines.
enum LiveProgress {
    /// Ends the live line, so the report starts on a line of its own.
    static func finish() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func make() -> @Sendable (String, FirstBoot.Event) -> Void {
        let started = Date()
        let terminal = isatty(STDERR_FILENO) == 1
        let state = LineState()
        return { label, event in
            let elapsed = Date().timeIntervalSince(started)
            let text: String
            switch event {
            case let .preparing(what): text = "preparing \(what)"
            case let .started(name, accelerator, deadline):
                state.setDeadline(elapsed + deadline)
                text = "booting \(name) (\(accelerator.rawValue), deadline \(Int(deadline)) s)"
            case let .stage(stage, seconds): text = "\(stage.rawValue) at \(String(format: "%.1f", seconds)) s"
            case let .note(note): text = note
            }
            if terminal {
                let newLine = state.swap(label) != label
                let deadline = state.deadline.map { " / \(Int($0)) s" } ?? ""
                FileHandle.standardError.write(Data("\(newLine ? "\n" : "\r\u{1B}[K")[\(TerminalText.sanitize(label))] \(TerminalText.sanitize(text)) — \(String(format: "%.0f", elapsed)) s\(deadline)".utf8))
            } else {
                FileHandle.standardError.write(Data("[\(String(format: "%7.1f", elapsed)) s] [\(TerminalText.sanitize(label))] \(TerminalText.sanitize(text))\n".utf8))
            }
        }
    }

    /// The label of the line being rewritten.
    final class LineState: @unchecked Sendable {
        private let lock = NSLock()
        private var label = ""
        private var until: Double?
        func swap(_ new: String) -> String { lock.withLock { let old = label; label = new; return old } }
        func setDeadline(_ seconds: Double) { lock.withLock { until = seconds } }
        var deadline: Double? { lock.withLock { until } }
    }
}

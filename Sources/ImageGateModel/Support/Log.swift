import Foundation
import Logging

/// ImageGate's log, through swift-log, always on stderr (stdout may carry a
/// JSON report). Teardown failures are warnings; traces (libvirt,
/// libguestfs and subprocess calls, phase times) are debug, shown only when
/// `IMAGEGATE_TRACE` is set — the one place that reads it.
public enum Log {
    /// How much `IMAGEGATE_TRACE` asks for: unset, any value, or `calls`
    /// (every libguestfs call with its duration, too).
    public enum Trace: Sendable {
        case off, on, calls
    }

    public static let trace: Trace = {
        switch ProcessInfo.processInfo.environment["IMAGEGATE_TRACE"] {
        case nil: return .off
        case "calls": return .calls
        default: return .on
        }
    }()

    public static let logger: Logger = {
        var logger = Logger(label: "imagegate") { _ in LineLogHandler() }
        logger.logLevel = trace == .off ? .warning : .debug
        return logger
    }()

    public static func warning(_ message: @autoclosure () -> String) {
        logger.warning("\(TerminalText.sanitize(message()))")
    }

    /// A trace line, `trace: MESSAGE` on stderr when tracing is on.
    public static func debug(_ message: @autoclosure () -> String) {
        logger.debug("\(TerminalText.sanitize(message()))")
    }
}

/// One line per message, `LEVEL: MESSAGE` (`trace` for debug), on stderr:
/// what a terminal reader and `Benchmarks/run.sh` read.
struct LineLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let name = event.level <= .debug ? "trace" : "\(event.level)"
        FileHandle.standardError.write(Data("\(name): \(event.message)\n".utf8))
    }
}

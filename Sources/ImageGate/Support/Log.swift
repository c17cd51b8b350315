import Foundation
import Logging

/// ImageGate's log, through swift-log, always on stderr (stdout may carry a
/// JSON report). Teardown failures are warnings; libvirt, libguestfs and
/// subprocess calls are debug, shown with `IMAGEGATE_TRACE` set.
public enum Log {
    public static let logger: Logger = {
        var logger = Logger(label: "imagegate") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = ProcessInfo.processInfo.environment["IMAGEGATE_TRACE"] != nil ? .debug : .warning
        return logger
    }()

    public static func warning(_ message: @autoclosure () -> String) {
        logger.warning("\(TerminalText.sanitize(message()))")
    }

    public static func debug(_ message: @autoclosure () -> String) {
        logger.debug("\(TerminalText.sanitize(message()))")
    }
}

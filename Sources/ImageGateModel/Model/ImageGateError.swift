/// The one error ImageGate throws: what went wrong, in one line, and whose
/// fault it is. The code decides the exit status (``Code/exitStatus``), in
/// this one place for the CLI, the queue and the vendor test libraries.
public struct ImageGateError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// Bad input from the user: a missing or corrupt image, bad YAML,
        /// an unknown rule ID, a refused URI. The message names the input.
        case badInput
        /// ImageGate's own machinery failed (libvirt, QEMU, libguestfs, a
        /// tool, the host's disk), not the image.
        case infrastructure
        /// The candidate's bytes changed while it was checked.
        case candidateChanged
        /// SIGINT or SIGTERM cancelled the work.
        case interrupted

        /// The process's exit status for this code.
        public var exitStatus: Int32 {
            switch self {
            case .badInput: return 2
            case .infrastructure, .candidateChanged: return 3
            case .interrupted: return 130
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func badInput(_ message: String) -> ImageGateError { .init(.badInput, message) }
    public static func infrastructure(_ message: String) -> ImageGateError { .init(.infrastructure, message) }
    public static func candidateChanged(_ message: String) -> ImageGateError { .init(.candidateChanged, message) }

    /// The code of any error: ImageGate's own as it says, cancellation as
    /// interrupted, anything else (a library's own error that escaped a
    /// wrapper) as infrastructure.
    public static func code(of error: any Error) -> Code {
        if let error = error as? ImageGateError { return error.code }
        if error is CancellationError { return .interrupted }
        return .infrastructure
    }

    public var isBadInput: Bool { code == .badInput }

    public var description: String { message }
}

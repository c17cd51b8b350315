import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a program to completion with everything bounded: a deadline after
/// which it is sent SIGTERM and, a second later, SIGKILL; a cap on what is
/// kept of its standard output and error; and the same teardown when the
/// calling task is cancelled (Ctrl-C). Built on swift-subprocess: the
/// spawning, pipe draining and reaping are that package's.
public enum BoundedProcess {
    public struct Output: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String

        public var text: String { String(decoding: stdout, as: UTF8.self) }
        /// The first line of stderr (else stdout), for an error message.
        public var firstLine: String {
            let line = (stderr.isEmpty ? text : stderr).split(separator: "\n").first.map(String.init) ?? ""
            return TerminalText.sanitize(String(line.prefix(300)))
        }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case timedOut(program: String, seconds: Double)
        case outputTooLarge(program: String, limit: Int)
        case cannotStart(program: String, reason: String)

        public var description: String {
            switch self {
            case let .timedOut(program, seconds): return "\(program) did not finish within \(Int(seconds)) s and was killed"
            case let .outputTooLarge(program, limit): return "\(program) wrote more than \(limit) bytes and was killed"
            case let .cannotStart(program, reason): return "cannot start \(program): \(reason)"
            }
        }
    }

    /// Runs `program` (looked up on PATH) with `arguments`, `input` on its
    /// standard input. More than `outputLimit` bytes on stdout, or more
    /// than 64 KiB on stderr, ends it.
    public static func run(_ program: String, _ arguments: [String], input: [UInt8]? = nil,
                           environment: [String: String] = [:], timeout: Duration,
                           outputLimit: Int = 16 << 20) async throws -> Output {
        do {
            return try await withThrowingTaskGroup(of: Output?.self) { group in
                group.addTask {
                    var options = PlatformOptions()
                    options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(1))]
                    var overrides: [Environment.Key: String?] = [:]
                    for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
                    let env = Environment.inherit.updating(overrides)
                    let executable = Executable.name(program)
                    let args = Arguments(arguments)
                    let result: ExecutionResult<Void, BytesOutput, StringOutput<UTF8>>
                    if let input {
                        result = try await Subprocess.run(executable, arguments: args, environment: env, platformOptions: options,
                                                          input: .array(input), output: .bytes(limit: outputLimit),
                                                          error: .string(limit: 64 << 10))
                    } else {
                        result = try await Subprocess.run(executable, arguments: args, environment: env, platformOptions: options,
                                                          input: .none, output: .bytes(limit: outputLimit),
                                                          error: .string(limit: 64 << 10))
                    }
                    let status: Int32
                    switch result.terminationStatus {
                    case .exited(let code): status = code
                    case .signaled(let signal): status = 128 + signal
                    }
                    return Output(status: status, stdout: result.standardOutput, stderr: result.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let output = first else {
                    throw Failure.timedOut(program: program, seconds: timeout.seconds)
                }
                return output
            }
        } catch let error as SubprocessError {
            switch error.code {
            case .outputLimitExceeded: throw Failure.outputTooLarge(program: program, limit: outputLimit)
            case .executableNotFound, .spawnFailed: throw Failure.cannotStart(program: program, reason: "\(error)")
            default: throw error
            }
        }
    }
}

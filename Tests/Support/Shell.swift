import Foundation

/// Runs a program to completion and captures its output, for tests that
/// set up inputs and run the built CLI (ImageGate itself runs programs
/// through ``BoundedProcess``, with deadlines and output caps).
public enum Shell {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `program` with `arguments` and returns its output as bytes.
    public static func runData(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try launch(program, arguments, environment: nil, input: nil)
    }

    /// ``run(_:_:environment:input:)`` on a dispatch queue: the waiting
    /// never blocks Swift's cooperative thread pool.
    public static func runAsync(_ program: String, _ arguments: [String], input: String? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result_ { try run(program, arguments, input: input) })
            }
        }
    }

    private typealias Result_ = Swift.Result<Result, Error>

    /// Runs `program` (looked up on PATH) with `arguments`, feeding `input`
    /// on its standard input.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: String? = nil) throws -> Result {
        let output = try launch(program, arguments, environment: environment, input: input)
        return Result(status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self), stderr: output.stderr)
    }

    private static func launch(_ program: String, _ arguments: [String], environment: [String: String]?,
                               input: String?) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, String(decoding: errData, as: UTF8.self))
    }
}

import ArgumentParser
import Foundation
import ImageGate
import ImageGateModel

extension ExitCode {
    // Named statuses, each from where it is decided: verdicts in
    // ``GateVerdict/exitStatus``, errors in ``ImageGateError/Code/exitStatus``.
    static let imageFailed = ExitCode(GateVerdict.fail.exitStatus)
    static let badInput = ExitCode(ImageGateError.Code.badInput.exitStatus)
    static let infrastructure = ExitCode(ImageGateError.Code.infrastructure.exitStatus)
    static let interrupted = ExitCode(ImageGateError.Code.interrupted.exitStatus)

    /// Exits as the verdict says (nothing to throw for PASS).
    static func exit(for verdict: GateVerdict) throws {
        if verdict != .pass { throw ExitCode(verdict.exitStatus) }
    }

    /// Runs `body`; an error exits as its code says
    /// (``ImageGateError/Code/exitStatus``), with one line on stderr.
    static func guarding<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let code = ImageGateError.code(of: error)
            switch code {
            case .badInput, .candidateChanged: complain("\(error)")
            case .infrastructure: complain("infrastructure error: \(error)")
            case .interrupted: break
            }
            throw ExitCode(code.exitStatus)
        }
    }
}

extension ExitCode {
    /// For `validate()`: one line on stderr, then exit 2 like every other
    /// bad input (swift-argument-parser's own `ValidationError` would exit
    /// 64 with the usage text).
    static func refusing(_ message: String) -> ExitCode {
        complain(message)
        return .badInput
    }
}

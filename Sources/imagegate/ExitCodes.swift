import ArgumentParser
import Foundation
import ImageGate

extension ExitCode {
    /// The image failed a rule.
    static let imageFailed = ExitCode(1)
    /// Bad input: a missing or corrupt image, bad YAML, an unknown rule ID.
    static let badInput = ExitCode(2)
    /// The infrastructure failed (libvirt, libguestfs), not the image.
    static let infrastructure = ExitCode(3)
    /// Nothing failed, but an error rule could not be checked.
    static let incomplete = ExitCode(4)

    /// Exits as the verdict says (nothing to throw for PASS).
    static func exit(for verdict: GateVerdict) throws {
        switch verdict {
        case .pass: return
        case .fail: throw ExitCode.imageFailed
        case .incomplete: throw ExitCode.incomplete
        }
    }

    /// Runs `body`; bad input exits 2 and any other error exits 3, each with
    /// one line on stderr.
    static func guarding<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as InputError {
            complain(error.message)
            throw ExitCode.badInput
        } catch let error as ExitCode {
            throw error
        } catch {
            complain("infrastructure error: \(error)")
            throw ExitCode.infrastructure
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

import Foundation
import ImageGate

/// What an entry's check found installed in the guest (from its static
/// inspection) and, per instance, its console as line digests: what a
/// first failure's investigation compares with the last good check
/// (``QueueInvestigation``). Line digests, not lines: a night's consoles
/// stay in the reports; the history keeps 4 bytes a line.
public struct CheckedSoftware: Sendable, Codable, Equatable {
    /// Installed packages: name → version.
    public var packages: [String: String]
    public var kernels: [String]
    /// Hostname → the digest of each console line, as the replay
    /// compares them (``ReplayComparison/normalized(_:)``): 4 bytes a
    /// line, little-endian, in base64.
    var consoleDigests: [String: String]

    public init(packages: [String: String], kernels: [String], consoleLines: [String: [UInt32]]) {
        self.packages = packages
        self.kernels = kernels
        consoleDigests = consoleLines.mapValues(Self.encode)
    }

    /// The console line digests of instance `hostname`.
    public func consoleLines(of hostname: String) -> [UInt32]? {
        guard let text = consoleDigests[hostname], let data = Data(base64Encoded: text) else { return nil }
        return stride(from: 0, to: data.count - 3, by: 4).map { offset in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[data.startIndex + offset + $1]) << (8 * $1) }
        }
    }

    static func encode(_ digests: [UInt32]) -> String {
        Data(digests.flatMap { digest in (0..<4).map { UInt8(truncatingIfNeeded: digest >> (8 * $0)) } }).base64EncodedString()
    }

    /// From a check's report.
    init(_ report: CheckReport) {
        packages = report.staticInspection?.facts.packages ?? [:]
        kernels = report.staticInspection?.facts.kernels ?? []
        consoleDigests = Dictionary(report.instances.map { ($0.hostname, Self.encode(Self.lineDigests($0.consoleLog))) }) { first, _ in first }
    }

    /// A console's lines; a CR LF (one `Character`) ends a line too.
    static func lines(_ console: String) -> [Substring] {
        console.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    /// Each line's FNV-1a digest, after the replay's normalisation: stable
    /// across processes (Swift's own hashing is seeded per process).
    public static func lineDigests(_ console: String) -> [UInt32] {
        lines(console).map { line in
            ReplayComparison.normalized(line).utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        }
    }
}

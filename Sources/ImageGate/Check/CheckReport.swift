import Foundation

/// One `imagegate check`: static inspection, each instance's first boot,
/// and the combined verdict. Every report (JSON, JUnit, HTML) is rendered
/// from this one model.
public struct CheckReport: Sendable, Codable {
    public struct Image: Sendable, Codable {
        public var path: String
        public var format: String
        public var virtualSize: Int64
        /// Taken before anything opened the candidate.
        public var sha256: String
        /// Taken after everything: equal, or the check ended in an error.
        public var sha256After: String
    }

    public struct ScenarioInfo: Sendable, Codable {
        public var name: String
        public var description: String
        public var source: String
    }

    /// One instance's boot.
    public struct Instance: Sendable, Codable {
        public var hostname: String
        public var mac: String
        public var address: String
        public var findings: [Finding]
        /// Seconds from VM start at which each stage was first seen.
        public var timeline: [String: Double]
        public var end: String
        public var endedAt: Double
        public var factsChannel: String?
        public var servicePorts: [ServicePortProbe.Result]
        public var consoleLog: String
        /// Console lines (1-based) that evidence cites.
        public var highlightedLines: [Int]
    }

    public var schema = "imagegate-check"
    public var schemaVersion = 1
    public var tool = "imagegate \(ImageGateVersion.current)"
    public var generatedAt: String
    public var language: String
    public var image: Image
    public var scenario: ScenarioInfo
    public var accelerator: Accelerator
    public var verdict: GateVerdict
    public var staticInspection: InspectionResult?
    public var instances: [Instance]
    /// Every rule's combined result: static rules, then boot rules merged
    /// across instances, BOOT-SERVICE-PORTS and BOOT-REINSTANCE.
    public var findings: [Finding]
    public var seconds: Double

    public var failed: Bool { verdict == .fail }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

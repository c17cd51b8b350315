import Foundation
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// `--bundle FILE.tar.gz`: everything needed to replay a check and to read
/// what happened, without the image: the scenario as used (every
/// instance's MAC, IP, hostname and instance-id concrete) and its profile,
/// the image's SHA-256, ImageGate's version and the exact command; per
/// instance the seed's files, the domain XML, the console log, the facts
/// and what the guest wrote (post-mortem); the JSON and HTML reports.
///
/// A bundle comes from someone else's machine: it is read, never
/// unpacked — each member is read out of the archive (`tar -xzOf`) with a
/// bound on its size, and only the members named here are read.
public enum ReproductionBundle {
    /// `bundle.json`: what the bundle is.
    public struct Manifest: Sendable, Codable, Equatable {
        public var schema = "imagegate-bundle"
        public var schemaVersion = 1
        public var tool: String
        public var command: [String]
        public var imagePath: String
        public var imageSHA256: String
        public var verdict: String
        public var createdAt: String
        /// `profile.yaml` when the check had a profile file.
        public var profile: String?
    }

    static let manifestMember = "bundle.json", scenarioMember = "scenario.yaml", profileMember = "profile.yaml", reportMember = ReportWriter.Format.json.fileName
    /// The largest member read back (a report with its console logs and post-mortems).
    static let memberLimit = 64 << 20

    /// Writes the bundle of `report` (a check of `scenario`, with the
    /// profile file `profilePath`, if any) to `path`.
    public static func write(_ report: CheckReport, scenario: Scenario, profilePath: String?, command: [String], to path: String) async throws {
        let folder = try StateDirectory.default.scratch() + "/bundle-" + UUID().uuidString
        defer { Teardown.remove(folder) }
        let root = folder + "/imagegate-bundle"
        func put(_ member: String, _ text: String) throws {
            let file = root + "/" + member
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: false, encoding: .utf8)
        }
        var profile: String?
        if let profilePath {
            // Any read failure is the bad-input line here.
            guard let text = try? String(contentsOfFile: profilePath, encoding: .utf8) else { throw ImageGateError.badInput("\(profilePath): cannot read the profile") }
            try put(profileMember, text)
            profile = profileMember
        }
        try put(scenarioMember, scenario.yaml(profile: profile))
        for format in [ReportWriter.Format.json, .html] { try put(format.fileName, try ReportWriter.render(report, as: format)) }
        for instance in report.instances {
            let dir = "instances/" + FileName.safe(instance.hostname)
            try put(dir + "/console.log", instance.consoleLog)
            if let xml = instance.domainXML { try put(dir + "/domain.xml", xml) }
            for (name, text) in instance.seedFiles ?? [:] { try put(dir + "/seed/" + name, text) }
            if let facts = instance.facts { try put(dir + "/facts.json", String(decoding: try JSONEncoder.report.encode(facts), as: UTF8.self)) }
            if let postMortem = instance.postMortem {
                for file in postMortem.files { try put(dir + "/post-mortem" + FileName.inside(file.path), file.text) }
                try put(dir + "/post-mortem/journal.txt", postMortem.journal.map {
                    "#\($0.number) \($0.seconds.map { String(format: "%.3f", $0) } ?? "-") \($0.source) <\($0.priority)> \($0.message)"
                }.joined(separator: "\n") + "\n")
                if !postMortem.problems.isEmpty { try put(dir + "/post-mortem/problems.txt", postMortem.problems.joined(separator: "\n") + "\n") }
            }
        }
        let manifest = Manifest(tool: "imagegate \(ImageGateVersion.current)", command: command, imagePath: report.image.path,
                                imageSHA256: report.image.sha256, verdict: report.verdict.rawValue, createdAt: report.generatedAt, profile: profile)
        try put(manifestMember, String(decoding: try JSONEncoder.report.encode(manifest), as: UTF8.self))
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        // --force-local: a name with a colon is a file, not a remote host.
        let result = try await BoundedProcess.run("tar", ["--force-local", "-czf", target, "-C", folder, "--owner=0", "--group=0", "imagegate-bundle"],
                                                  timeout: .seconds(120))
        guard result.status == 0 else { throw ImageGateError.infrastructure("tar could not write the bundle \(path): \(result.firstLine)") }
    }

    /// What a replay needs, read out of the bundle at `path`.
    public struct Contents: Sendable {
        public var manifest: Manifest
        public var scenario: Scenario
        /// The profile the check ran under, when it had a profile file.
        public var profile: PlatformProfile?
        public var report: CheckReport
    }

    public static func read(_ path: String) async throws -> Contents {
        guard FileManager.default.isReadableFile(atPath: path) else { throw ImageGateError.badInput("\(path): cannot read the bundle") }
        // Absolute: a name starting with `-` is not an option to tar.
        let archive = URL(fileURLWithPath: path).standardizedFileURL.path
        func member(_ name: String) async throws -> String? {
            let result: BoundedProcess.Output
            do {
                result = try await BoundedProcess.run("tar", ["--force-local", "-xzOf", archive, "imagegate-bundle/" + name], timeout: .seconds(60),
                                                      outputLimit: memberLimit)
            } catch let failure as BoundedProcess.Failure {
                throw ImageGateError.badInput("\(path): \(name): \(failure)")
            }
            guard result.status == 0 else { return nil }
            return String(decoding: result.stdout, as: UTF8.self)
        }
        guard let manifestText = try await member(manifestMember),
              // Any decoding failure is the bad-input line below.
              let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(manifestText.utf8)), manifest.schema == "imagegate-bundle" else {
            throw ImageGateError.badInput("\(path): not an ImageGate bundle (no readable \(manifestMember))")
        }
        guard manifest.schemaVersion == 1 else { throw ImageGateError.badInput("\(path): bundle schema version \(manifest.schemaVersion); this ImageGate reads version 1") }
        guard let scenarioText = try await member(scenarioMember) else { throw ImageGateError.badInput("\(path): no \(scenarioMember)") }
        let scenario = try Scenario.parse(scenarioText, source: "\(path):\(scenarioMember)")
        var profile: PlatformProfile?
        if manifest.profile != nil {
            guard let text = try await member(profileMember) else { throw ImageGateError.badInput("\(path): no \(profileMember)") }
            profile = try PlatformProfile.parse(text, source: "\(path):\(profileMember)")
        }
        guard let reportText = try await member(reportMember),
              // Any decoding failure is the bad-input line below.
              let report = try? JSONDecoder().decode(CheckReport.self, from: Data(reportText.utf8)) else {
            throw ImageGateError.badInput("\(path): no readable \(reportMember)")
        }
        return Contents(manifest: manifest, scenario: scenario, profile: profile, report: report)
    }
}

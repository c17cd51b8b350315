import Foundation
import ImageGateModel

/// The boot a vendor's own test suite makes (``ImageGateTesting`` and
/// ``ImageGateXCTest`` alike), configured from the environment:
/// `IMAGEGATE_IMAGE` (default: the conformant fixture), `IMAGEGATE_CONNECT`
/// (a libvirt URI; default the embedded driver), `IMAGEGATE_ARTIFACTS`
/// (where console logs go).
public enum TestSuiteBoot {
    public static var imagePath: String {
        let env = ProcessInfo.processInfo.environment
        if let image = env["IMAGEGATE_IMAGE"], !image.isEmpty { return image }
        let fixtures = env["IMAGEGATE_FIXTURES"] ?? FileManager.default.currentDirectoryPath + "/Fixtures/cache"
        return fixtures + "/debian12-conformant.qcow2"
    }

    /// Boots `path` once with ImageGate's defaults and the environment's
    /// libvirt URI and artifacts folder.
    /// `postMortem`: when the stopped disk is read for a Diagnosis.
    public static func boot(_ path: String, instance: InstanceMetadata = .fresh(), postMortem: BootOptions.PostMortemWhen = .onFailure,
                            configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        let env = ProcessInfo.processInfo.environment
        let image = try await ImageFile.validate(path)
        var request = BootRequest(instance: instance)
        request.options = BootOptions(artifacts: env["IMAGEGATE_ARTIFACTS"], postMortem: postMortem)
        let configured = request
        return try await LibvirtHost.with(env["IMAGEGATE_CONNECT"].flatMap { $0.isEmpty ? nil : $0 }) { host in
            try await configured.run(image, on: host, configure: configure)
        }
    }

    /// What a failed rule says in a test's failure: required, found,
    /// evidence, fix, and which boot.
    public static func failureMessage(_ finding: Finding, result: BootResult) -> String {
        var text = "\(finding.rule) \(finding.title)\n  required: \(finding.required)\n  found:    \(finding.found)\n"
        text += finding.evidence.prefix(10).map { "    at \($0)\n" }.joined()
        if let fix = finding.fix { text += "  fix:      \(fix)\n" }
        text += "  (boot of \(result.plan.image.path) as \(result.plan.instance.hostname); watch ended: \(result.observation.end))"
        return TerminalText.sanitize(text)
    }
}

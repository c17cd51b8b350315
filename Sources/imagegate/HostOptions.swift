import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// Which hypervisor a command talks to.
struct HostOptions: ParsableArguments {
    @Option(help: "libvirt URI (default: the embedded QEMU driver, no daemon).")
    var connect: String?

    func validate() throws {
        if let connect {
            do { try LibvirtURI.check(connect) } catch let error as ImageGateError { throw ExitCode.refusing("--connect \(error.message)") }
        }
    }

    /// Runs `body` with the hypervisor, its connection closed after.
    func withHost<T>(_ body: (LibvirtHost) async throws -> T) async throws -> T {
        try await LibvirtHost.with(connect, body)
    }

    /// Boots the image at `path` as `request` asks, with live progress and
    /// Ctrl-C handling, between two digests of the candidate.
    func boot(_ request: BootRequest, image path: String) async throws -> (BootResult, CandidateDigest) {
        var request = request
        let progress = LiveProgress.make(), label = request.instance.hostname
        request.progress = { progress(label, $0) }
        let configured = request
        return try await withHost { host in
            defer { LiveProgress.finish() }
            let image = try await ImageFile.validate(path)
            return try await CandidateDigest.verifying(image) {
                try await Interrupt.cancellingOnSIGINT { try await configured.run(image, on: host) }
            }
        }
    }
}

/// What a boot leaves behind: its run folder, its console logs.
struct RunFolderOptions: ParsableArguments {
    @Flag(help: "Keep each boot's run folder (overlay, seed, console log) for an evidence bundle.")
    var keep = false
    @Flag(name: .customLong("keep-running"),
          help: "Leave each booted VM running after the verdict, to step into with imagegate console|ssh RUN; imagegate stop RUN ends it (no post-mortem: its disk is live).")
    var keepRunning = false
    @Option(help: ArgumentHelp("Copy console logs into this folder (default: $IMAGEGATE_ARTIFACTS).", valueName: "folder"))
    var artifacts: String?
    @Option(name: .customLong("post-mortem"),
            help: "When to read the stopped instance's disk for the guest's logs and a Diagnosis: never, on-failure (a failed or unjudged boot) or always.")
    var postMortem: BootOptions.PostMortemWhen = .onFailure

    /// The boot options these flags say, built once.
    var bootOptions: BootOptions {
        BootOptions(keep: keep, keepRunning: keepRunning, artifacts: artifacts ?? ProcessInfo.processInfo.environment["IMAGEGATE_ARTIFACTS"],
                    postMortem: postMortem)
    }

    /// A check's runner as these options and the terminal want it.
    func configure(_ runner: inout CheckRunner, language: Language) {
        runner.language = language
        runner.options = bootOptions
        runner.progress = LiveProgress.make()
    }
}

/// The platform profile the rules are judged by.
struct ProfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Platform profile YAML (default: the seller guide's settings).", valueName: "file"))
    var profile: String?

    /// The profile (an bad-input ``ImageGateError`` naming the file if it is bad), or
    /// `fallback` when none was given.
    func load(orPath fallback: String? = nil) throws -> PlatformProfile {
        try (profile ?? fallback).map(PlatformProfile.load(path:)) ?? .default
    }
}

extension BootOptions.PostMortemWhen: ExpressibleByArgument {}

import Foundation

/// What a boot keeps and reads once its verdict is in: chosen once (by
/// the CLI's options, a vendor library's environment, the queue) and
/// passed down whole, from the check to each boot.
public struct BootOptions: Sendable, Equatable {
    /// When the stopped instance's disk is read for what the guest wrote (``PostMortem``).
    public enum PostMortemWhen: String, Sendable, CaseIterable {
        case never, onFailure = "on-failure", always
    }

    /// Keep the VM's files (and leave the run folder) for an evidence bundle.
    public var keep: Bool
    /// Leave the VM running after the verdict (``KeptRun``): support steps
    /// into it with `imagegate console|ssh`, and `imagegate stop` ends it.
    /// Its disk is live, so no post-mortem is read.
    public var keepRunning: Bool
    /// Copy each console log into this folder (e.g. `IMAGEGATE_ARTIFACTS`).
    public var artifacts: String?
    /// By default after a boot that failed or left an error rule unjudged.
    public var postMortem: PostMortemWhen

    public init(keep: Bool = false, keepRunning: Bool = false, artifacts: String? = nil, postMortem: PostMortemWhen = .onFailure) {
        self.keep = keep
        self.keepRunning = keepRunning
        self.artifacts = artifacts
        self.postMortem = postMortem
    }

    /// Whether the boot's files outlive it (kept, or left running).
    public var keepsFiles: Bool { keep || keepRunning }
}

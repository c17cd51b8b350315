import Foundation
import Guestfs
import ImageGateModel

/// Opens libguestfs handles set up for this host: the `direct` backend (no
/// libvirtd needed) and, where KVM does not work, `force_tcg` — libguestfs
/// would otherwise try KVM whenever `/dev/kvm` opens, and hang where KVM
/// guests hang. `LIBGUESTFS_BACKEND` and `LIBGUESTFS_BACKEND_SETTINGS` in
/// the environment win over both.
public enum Appliance {
    /// A handle with no drives yet. `IMAGEGATE_TRACE=calls` traces every
    /// libguestfs call with its duration.
    public static func handle(accelerator: Accelerator) throws -> Handle {
        let env = ProcessInfo.processInfo.environment
        let backend = env["LIBGUESTFS_BACKEND"] == nil ? "direct" : nil
        let settings = env["LIBGUESTFS_BACKEND_SETTINGS"] == nil && accelerator == .tcg ? ["force_tcg"] : nil
        var trace: (@Sendable (String) -> Void)?
        if Log.trace == .calls { trace = { @Sendable line in Log.debug("guestfs: " + line) } }
        return try Handle(backend: backend, backendSettings: settings, traceCalls: trace)
    }

}

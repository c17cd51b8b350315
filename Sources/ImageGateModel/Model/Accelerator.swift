import Foundation

/// How guests run: hardware-assisted (KVM) or emulated (TCG).
public enum Accelerator: String, Sendable, Codable {
    case kvm, tcg

    /// libvirt's domain type for it.
    public var domainType: String { self == .kvm ? "kvm" : "qemu" }

    /// Every deadline is multiplied by this. Emulation is several times
    /// slower; `IMAGEGATE_TCG_MULTIPLIER` overrides the default of 5.
    public var timeoutMultiplier: Double {
        guard self == .tcg else { return 1 }
        let env = ProcessInfo.processInfo.environment["IMAGEGATE_TCG_MULTIPLIER"]
        return env.flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 5
    }
}

/// The accelerator chosen for a host, and why.
public struct AcceleratorChoice: Sendable, Equatable {
    public let accelerator: Accelerator
    public let reason: String

    public init(accelerator: Accelerator, reason: String) {
        self.accelerator = accelerator
        self.reason = reason
    }
}

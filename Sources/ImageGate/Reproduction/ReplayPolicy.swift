import Foundation
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// What a bundle may decide of its replay: only the plan's identity — each
/// instance's hostname, MAC, IP and instance-id, the hardware, the data
/// disks, the reboot step. Everything that is policy comes from this
/// machine: the profile (limits, waivers, cloud-init table) is the
/// operator's, the boot deadline is the default, and a bundle's waivers are
/// shown as recorded, never applied. A bundle arrives from a vendor: what
/// goes past the operator's caps is refused with one line.
public struct ReplayPolicy: Sendable {
    /// The caps a bundle's plan must fit.
    public struct Caps: Sendable, Equatable {
        public var instances = 4
        public var cpus: Int
        public var memoryMiB: Int
        public var dataDiskBytes: Int64

        public init(instances: Int = 4, cpus: Int, memoryMiB: Int, dataDiskBytes: Int64) {
            self.instances = instances
            self.cpus = cpus
            self.memoryMiB = memoryMiB
            self.dataDiskBytes = dataDiskBytes
        }

        /// This machine's cores and half its memory; the profile's data
        /// disk limit.
        public static func thisMachine(limits: GateLimits) -> Caps {
            Caps(cpus: ProcessInfo.processInfo.activeProcessorCount,
                 memoryMiB: Int(ProcessInfo.processInfo.physicalMemory >> 21), dataDiskBytes: limits.dataDiskBytes)
        }
    }

    /// The scenario to replay, and what the bundle recorded that is not applied.
    public struct Plan: Sendable {
        public var scenario: Scenario
        public var notApplied: [String]
    }

    public var profile: PlatformProfile
    public var caps: Caps

    public init(profile: PlatformProfile, caps: Caps? = nil) {
        self.profile = profile
        self.caps = caps ?? .thisMachine(limits: profile.limits)
    }

    /// The replayable plan of `recorded` (the bundle's scenario and profile),
    /// or a bad-input error naming `source` and the first thing past a cap.
    public func plan(_ recorded: Scenario, recordedProfile: PlatformProfile?, source: String) throws -> Plan {
        func refuse(_ what: String) -> ImageGateError { .badInput("\(source): \(what); replay runs under this machine's policy") }
        guard recorded.instances.count <= caps.instances else {
            throw refuse("\(recorded.instances.count) instances, above the cap of \(caps.instances)")
        }
        guard recorded.hardware.cpus <= caps.cpus else { throw refuse("\(recorded.hardware.cpus) vCPUs, above this machine's \(caps.cpus)") }
        guard recorded.hardware.memoryMiB <= caps.memoryMiB else {
            throw refuse("\(recorded.hardware.memoryMiB) MiB of memory, above the cap of \(caps.memoryMiB) MiB")
        }
        if let disk = recorded.dataDiskGiB.max(), Int64(disk) << 30 > caps.dataDiskBytes {
            throw refuse("a data disk of \(disk) GiB, above the limit of \(caps.dataDiskBytes >> 30) GiB")
        }
        var scenario = recorded
        var notApplied: [String] = []
        for waiver in recorded.waivers {
            notApplied.append("scenario waiver of \(waiver.rule) (\(waiver.reason)): recorded, not applied")
        }
        scenario.waivers = []
        if let seconds = recorded.bootTimeout {
            notApplied.append("timeouts.boot_seconds \(Int(seconds)): recorded, the default deadline applies")
            scenario.bootTimeout = nil
        }
        if let recordedProfile {
            for waiver in recordedProfile.waivers where !profile.waivers.contains(waiver) {
                notApplied.append("profile waiver of \(waiver.rule) (\(waiver.reason)): recorded, not applied")
            }
            if recordedProfile.limits != profile.limits {
                notApplied.append("the recorded profile's limits: not applied, this machine's profile's limits apply")
            }
        }
        scenario.profile = nil
        return Plan(scenario: scenario, notApplied: notApplied)
    }
}

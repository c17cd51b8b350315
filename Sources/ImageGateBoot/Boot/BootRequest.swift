import Foundation
import ImageGateModel

/// One boot as a caller asks for it — an instance, its hardware, data disk,
/// reboot step and deadline, and what to keep — built from a scenario or
/// from command-line options. ``run(_:on:accelerator:configure:)`` is the one
/// place a ``FirstBoot`` is set up: the accelerator chosen on the host, the
/// deadlines stretched for it and for the load the caller puts on the host.
public struct BootRequest: Sendable {
    /// How long a boot may take overall.
    public enum Timeout: Sendable, Equatable {
        /// KVM-speed seconds, stretched like every deadline (a scenario's `boot_seconds`).
        case scaled(Double)
        /// Seconds on the clock, whatever the accelerator.
        case wallClock(Double)
    }

    public var instance: InstanceMetadata
    public var hardware = Scenario.Hardware()
    /// 0: no data disk.
    public var dataDiskBytes: Int64 = 1 << 30
    public var reboot = false
    public var timeout: Timeout?
    public var servicePorts: [Int] = []
    public var limits = GateLimits()
    /// How many boots share the host's cores (≥ 1: deadlines stretch with it).
    public var load: Double = 1
    /// What the boot keeps and reads after its verdict.
    public var options = BootOptions()
    public var state = StateDirectory.default
    /// For a boot begun before it is known that it should happen.
    public var clearance: BootClearance?
    public var progress: @Sendable (FirstBoot.Event) -> Void = { _ in }

    public init(instance: InstanceMetadata) {
        self.instance = instance
    }

    /// Instance `index` of `scenario`, on its hardware, data disk, reboot
    /// step, deadline and service ports.
    public init(_ scenario: Scenario, instance index: Int) {
        instance = scenario.instances[index]
        hardware = scenario.hardware
        dataDiskBytes = Int64(scenario.dataDiskGiB[index]) << 30
        reboot = scenario.reboot
        timeout = scenario.bootTimeout.map(Timeout.scaled)
        servicePorts = scenario.servicePorts
    }

    /// Boots `image` on `host`, with `accelerator` (chosen on the host when
    /// not given); `configure` adjusts the plan last.
    public func run(_ image: ImageFile, on host: any VirtualMachineHost, accelerator: Accelerator? = nil,
                    configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        let chosen: Accelerator
        if let accelerator { chosen = accelerator } else { chosen = try await AcceleratorProbe(host: host, state: state).chooseOnce().accelerator }
        var boot = FirstBoot(host: host, state: state)
        boot.options = options
        boot.servicePorts = servicePorts
        boot.limits = limits
        boot.progress = progress
        boot.clearance = clearance
        let multiplier = chosen.timeoutMultiplier * max(1, load)
        return try await boot.run(image, instance: instance, accelerator: chosen) { plan in
            plan.cpus = hardware.cpus
            plan.memoryMiB = hardware.memoryMiB
            plan.dataDiskBytes = dataDiskBytes
            plan.reboot = reboot
            plan.deadlines = BootDeadlines(multiplier: multiplier)
            switch timeout {
            case let .scaled(seconds)?: plan.deadlines.cap(seconds * multiplier)
            case let .wallClock(seconds)?: plan.deadlines.cap(seconds)
            case nil: break
            }
            configure(&plan)
        }
    }
}

import Foundation
import ImageGateModel

/// This machine's embedded driver: QEMU opens the run folder's files, writes
/// ttyS0 to the console log, and forwards SSH and the service ports to
/// loopback ports; the overlay is read where it is.
public struct LocalSite: BootSite {
    public let host: any VirtualMachineHost

    public init(host: any VirtualMachineHost) {
        self.host = host
    }

    public func vmName(_ purpose: VMName.Purpose) -> String { VMName.make(purpose) }
    public var reapablePrefixes: [String] { [VMName.prefix] }
    public func reapLeftovers(activeDomains: Set<String>) async -> [String] { [] }

    public func reserve(servicePorts: [Int], keepRunning: Bool, state: StateDirectory) throws -> SiteReservation {
        var reservation = SiteReservation()
        do {
            for _ in 0...servicePorts.count { reservation.ports.append(try LoopbackPort.reserve(lockDirectory: state.ports)) }
        } catch {
            reservation.release()
            throw error
        }
        return reservation
    }

    public func settle(_ plan: inout BootPlan, reservation: SiteReservation, servicePorts: [Int]) {
        for (guestPort, hostPort) in zip(servicePorts, reservation.servicePorts) { plan.servicePorts[guestPort] = hostPort }
        plan.securityLabel = DomainSecurityLabel.embedded
    }

    public func place(_ plan: inout BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws {
        plan.placement = .runFolder
    }

    public func attachConsole(of vm: any VirtualMachineInstance, file: String, limit: Int64) async throws -> ConsolePump? { nil }

    public func overlayBytes(_ plan: BootPlan) async -> Int64? { ConsoleWatcher.allocatedBytes(plan.overlay) }

    public func judgePorts(_ plan: BootPlan, declared: [Int], facts: GuestFacts?,
                           progress: @escaping @Sendable (FirstBoot.Event) -> Void) async -> [ServicePortProbe.Result] {
        guard !plan.servicePorts.isEmpty, facts != nil else { return [] }
        progress(.note("probing service ports \(plan.servicePorts.keys.sorted().map(String.init).joined(separator: ", "))"))
        return await ServicePortProbe.probeAll(plan.servicePorts, within: 15 * plan.accelerator.timeoutMultiplier)
    }

    /// The data disk is the run folder's raw file; the SSH port is
    /// forwarded to the metadata's address alone.
    public func observe(_ plan: BootPlan, facts: GuestFacts?) async -> OutsideEvidence {
        var evidence = OutsideEvidence()
        if plan.dataDiskBytes > 0 { evidence.dataDisk = await DataDiskReading.read(path: plan.dataDisk) }
        if facts != nil {
            evidence.network = await NetworkReach.sshBanner(hostPort: plan.sshPort, ip: plan.instance.ip,
                                                            within: 3 * plan.accelerator.timeoutMultiplier)
        }
        return evidence
    }

    public func fetchOverlay(_ plan: BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws -> String {
        plan.overlay
    }

    public func removePlaced(_ plan: BootPlan) async {}

    public func placeKernel(_ kernel: String, vm: String) async throws -> PlacedKernel {
        PlacedKernel(path: kernel, volume: nil, consoleOverStream: false, securityLabel: DomainSecurityLabel.embedded)
    }

    public func removeKernel(_ placed: PlacedKernel) async {}
}

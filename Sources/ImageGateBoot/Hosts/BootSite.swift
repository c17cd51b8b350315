import Foundation
import ImageGateModel

/// Where a boot runs, as its host hands it out (``VirtualMachineHost/site``),
/// the way kola splits platforms: the site decides where the disks go,
/// where the console is read from, how the guest's facts and service ports
/// are reached, how the disk comes back after the boot, and what is left
/// to clean up. ``FirstBoot`` and the accelerator probe run the same steps
/// on every site: ``LocalSite`` (this machine's embedded driver) and
/// ``RemoteSite`` (a libvirt host that cannot see this machine's files).
public protocol BootSite: Sendable {
    var host: any VirtualMachineHost { get }

    /// A new VM name for `purpose`, one this site's reaper recognises.
    func vmName(_ purpose: VMName.Purpose) -> String
    /// The name prefixes of the VMs this site's reaper may judge.
    var reapablePrefixes: [String] { get }
    /// What crashed runs left on the site besides their VMs (volumes);
    /// `activeDomains` are the VMs that still exist there.
    func reapLeftovers(activeDomains: Set<String>) async -> [String]

    /// What a boot needs of this machine, reserved before its run folder
    /// exists (a failure leaves nothing behind); refuses what the site
    /// cannot do.
    func reserve(servicePorts: [Int], keepRunning: Bool, state: StateDirectory) throws -> SiteReservation
    /// The plan's channels and forwards for this site, once the caller's
    /// own settings are in.
    func settle(_ plan: inout BootPlan, reservation: SiteReservation, servicePorts: [Int])
    /// The run folder's prepared disks put where the VM opens them
    /// (``BootPlan/placement``).
    func place(_ plan: inout BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws
    /// Feeds `file` from the VM's console when the VM cannot write it
    /// itself (nil: it writes the file).
    func attachConsole(of vm: any VirtualMachineInstance, file: String, limit: Int64) async throws -> ConsolePump?
    /// Bytes the overlay takes now, for the overlay limit (nil: unknown).
    func overlayBytes(_ plan: BootPlan) async -> Int64?
    /// The declared service ports, judged once the guest's facts are in.
    func judgePorts(_ plan: BootPlan, declared: [Int], facts: GuestFacts?,
                    progress: @escaping @Sendable (FirstBoot.Event) -> Void) async -> [ServicePortProbe.Result]
    /// What the host sees of the instance from outside once a watch ended
    /// (``OutsideEvidence``): the data disk read back, the guest reached
    /// at the metadata's address.
    func observe(_ plan: BootPlan, facts: GuestFacts?) async -> OutsideEvidence
    /// The stopped VM's overlay as a local file, to read the guest's disk.
    func fetchOverlay(_ plan: BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws -> String
    /// Removes what ``place(_:progress:)`` put on the site.
    func removePlaced(_ plan: BootPlan) async

    /// The kernel file at `kernel` where a probe VM named `vm` opens it.
    func placeKernel(_ kernel: String, vm: String) async throws -> PlacedKernel
    func removeKernel(_ placed: PlacedKernel) async
}

/// What a site reserved on this machine for one boot: loopback ports, held
/// until ``release()``.
public struct SiteReservation: Sendable {
    public var ports: [LoopbackPort] = []

    /// The port forwarded to the guest's SSH (0: none).
    public var sshPort: Int { ports.first?.number ?? 0 }
    /// The ports forwarded to the declared service ports, in their order.
    public var servicePorts: [Int] { ports.dropFirst().map(\.number) }

    public func release() { ports.forEach { $0.release() } }
}

/// A probe kernel as the site's VM opens it.
public struct PlacedKernel: Sendable {
    /// The kernel's path where the hypervisor runs.
    public var path: String
    /// Its volume on a remote site, to delete afterwards.
    public var volume: String?
    /// ttyS0 is read through libvirt's console stream, not a local file.
    public var consoleOverStream: Bool
    /// The probe domain's `<seclabel>` on this site.
    public var securityLabel = DomainSecurityLabel.noRelabeling
}

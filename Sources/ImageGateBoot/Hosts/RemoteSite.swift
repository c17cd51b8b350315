import Foundation
import ImageGateModel

/// A libvirt host that cannot see this machine's files: the disks go there
/// as volumes of ImageGate's pool (the candidate cached by digest), ttyS0 is
/// a pty read through libvirt's console stream into the local console log,
/// the facts come over ttyS0 and the service ports are judged from inside
/// the guest (the host's loopback is not this machine's), and the overlay
/// is copied back for the post-mortem. VM and volume names carry this
/// machine's tag: only this machine reaps them there.
public struct RemoteSite: BootSite {
    public let host: any VirtualMachineHost
    public let store: any RemoteDiskStore

    public init(host: any VirtualMachineHost, store: any RemoteDiskStore) {
        self.host = host
        self.store = store
    }

    public func vmName(_ purpose: VMName.Purpose) -> String { VMName.make(purpose, remote: true) }
    public var reapablePrefixes: [String] { VMName.remotePrefixes }

    public func reapLeftovers(activeDomains: Set<String>) async -> [String] {
        await store.reapLeftovers(activeDomains: activeDomains)
    }

    public func reserve(servicePorts: [Int], keepRunning: Bool, state: StateDirectory) throws -> SiteReservation {
        if keepRunning {
            throw ImageGateError.badInput("--keep-running works on this machine's embedded driver only; \(host.uri) is a remote host")
        }
        return SiteReservation()
    }

    public func settle(_ plan: inout BootPlan, reservation: SiteReservation, servicePorts: [Int]) {
        plan.factChannels = [.serial]
    }

    /// The candidate (cached by digest), the overlay on it, the data disk
    /// and the seed, as volumes on the host.
    public func place(_ plan: inout BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws {
        progress(.preparing("the candidate, overlay, data disk and seed as volumes on \(host.uri)"))
        let sha256 = try FileDigest.sha256(plan.image.accessPath)
        let candidate = try await store.candidate(plan.image, sha256: sha256, vm: plan.name)
        if candidate.uploadedBytes > 0 {
            let rate = Double(candidate.uploadedBytes) / 1_000_000 / max(candidate.seconds, 0.001)
            progress(.note(String(format: "uploaded the candidate (%@) to %@ in %.1f s (%.0f MB/s)",
                                  GateLimits.describe(candidate.uploadedBytes), host.uri, candidate.seconds, rate)))
        } else {
            progress(.note("the candidate is cached on \(host.uri) (\(candidate.name.prefix(26))…, digest verified): nothing uploaded"))
        }
        let overlay = RemoteVolumeStore.overlayVolume(vm: plan.name, sha256: sha256)
        let data = RemoteVolumeStore.runVolume(vm: plan.name, "data.img"), seed = RemoteVolumeStore.runVolume(vm: plan.name, "seed.iso")
        var paths = RemoteDiskPaths(overlay: "", candidate: candidate.path, dataDisk: nil, seed: "", volumes: [])
        paths.uploadedBytes = candidate.uploadedBytes
        paths.overlay = try await store.createOverlay(name: overlay, backing: candidate.path, backingFormat: plan.image.format,
                                                      capacity: plan.image.virtualSize)
        paths.volumes.append(overlay)
        if plan.dataDiskBytes > 0 {
            paths.dataDisk = try await store.createBlankDisk(name: data, bytes: plan.dataDiskBytes)
            paths.volumes.append(data)
        }
        paths.seed = try await store.upload(file: plan.seed, as: seed)
        paths.volumes.append(seed)
        plan.placement = .volumes(paths)
    }

    public func attachConsole(of vm: any VirtualMachineInstance, file: String, limit: Int64) async throws -> ConsolePump? {
        try ConsolePump(channel: try await vm.openConsole(), file: file, limit: limit)
    }

    public func overlayBytes(_ plan: BootPlan) async -> Int64? {
        guard let overlay = plan.placement.remote?.volumes.first else { return nil }
        // Unknown for now when the host does not answer; the next poll asks again.
        return try? await store.allocation(of: overlay)
    }

    /// No port of this machine reaches the guest: judged from its own sockets.
    public func judgePorts(_ plan: BootPlan, declared: [Int], facts: GuestFacts?,
                           progress: @escaping @Sendable (FirstBoot.Event) -> Void) async -> [ServicePortProbe.Result] {
        guard let facts else { return [] }
        let listening = ListeningSockets(listening: facts.listeningTCP ?? "")
        return declared.map { port in
            let (accepted, detail) = facts.listeningTCP == nil
                ? (false, "judged from inside the guest: the probe could not read /proc/net/tcp") : listening.judge(port: port)
            return ServicePortProbe.Result(guestPort: port, hostPort: 0, accepted: accepted, detail: detail)
        }
    }

    /// The data disk is a raw volume on the host, read back through
    /// libvirt; the guest's network is the host's, which this machine has
    /// no path into: the report says the network is the guest's word.
    public func observe(_ plan: BootPlan, facts: GuestFacts?) async -> OutsideEvidence {
        var evidence = OutsideEvidence()
        if plan.dataDiskBytes > 0 {
            let name = RemoteVolumeStore.runVolume(vm: plan.name, "data.img"), store = store
            evidence.dataDisk = await DataDiskReading.read { offset, count in
                // A read the host refuses is a short one: the reading says what it could not read.
                try? await store.read(name, offset: offset, count: count)
            }
        }
        evidence.network = .notObservable("no path from this machine to the guest's network on \(host.uri)")
        return evidence
    }

    /// The overlay comes back; its backing file is this machine's candidate.
    public func fetchOverlay(_ plan: BootPlan, progress: @escaping @Sendable (FirstBoot.Event) -> Void) async throws -> String {
        guard let volume = plan.placement.remote?.volumes.first else { return plan.overlay }
        progress(.note("copying the overlay back from \(host.uri)"))
        let overlay = plan.directory + "/overlay-from-host.qcow2"
        try await store.download(volume, to: overlay, limit: plan.limits.overlayBytes + (256 << 20))
        try await RemoteOverlay.adopt(overlay, backing: plan.image)
        return overlay
    }

    /// The run's volumes deleted (the candidate stays cached).
    public func removePlaced(_ plan: BootPlan) async {
        await Teardown.attempt("deleting the volumes of \(plan.name) on the remote host") { try await store.deleteRunVolumes(vm: plan.name) }
    }

    /// The kernel goes there as a volume; the console comes back through
    /// libvirt's stream.
    public func placeKernel(_ kernel: String, vm: String) async throws -> PlacedKernel {
        let name = RemoteVolumeStore.runVolume(vm: vm, "kernel")
        return PlacedKernel(path: try await store.upload(file: kernel, as: name), volume: name, consoleOverStream: true)
    }

    /// (Left behind only if this process dies first: the reaper's then.)
    public func removeKernel(_ placed: PlacedKernel) async {
        guard let volume = placed.volume else { return }
        await Teardown.attempt("deleting the probe's kernel volume") { try await store.delete(volume) }
    }
}

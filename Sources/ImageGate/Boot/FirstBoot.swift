import Foundation

/// Boots a candidate image once as a brand-new instance and judges the
/// BOOT-* rules. On every exit path — verdict, thrown error, timeout,
/// cancellation (SIGINT) — the VM is destroyed and the run's files are
/// removed (unless `keep`).
public struct FirstBoot: Sendable {
    /// What happens during a boot, for live progress.
    public enum Event: Sendable {
        case preparing(String)
        /// The VM started; the boot ends by `deadline` seconds at the latest.
        case started(name: String, accelerator: Accelerator, deadline: Double)
        case stage(ConsoleLog.Stage, seconds: Double)
        case note(String)
    }

    public var host: any VirtualMachineHost
    public var state: StateDirectory
    /// Keep the VM's files (and leave the run folder) for an evidence bundle.
    public var keep = false
    /// Leave the VM running after the verdict (``KeptRun``): support steps
    /// into it with `imagegate console|ssh`, and `imagegate stop` ends it.
    /// Its disk is live, so no post-mortem is read.
    public var keepRunning = false
    /// Copy the console log here (e.g. `IMAGEGATE_ARTIFACTS`).
    public var artifacts: String?
    /// Guest ports to forward to loopback and probe once the guest is up.
    public var servicePorts: [Int] = []
    /// Data disk, overlay growth and console ceilings (the profile's).
    public var limits = GateLimits()
    /// When the stopped instance's disk is read for what the guest wrote
    /// (``PostMortem``): by default after a boot that failed or left an
    /// error rule unjudged.
    public var postMortem: PostMortemWhen = .onFailure

    public enum PostMortemWhen: String, Sendable, CaseIterable {
        case never, onFailure = "on-failure", always
    }
    public var progress: @Sendable (Event) -> Void = { _ in }

    public init(host: any VirtualMachineHost, state: StateDirectory = .default) {
        self.host = host
        self.state = state
    }

    /// Boots `image` with `instance`'s metadata. `configure` adjusts the
    /// plan (memory, vCPUs, data disk, deadlines) before anything starts.
    public func run(_ image: ImageFile, instance: InstanceMetadata, accelerator: Accelerator,
                    configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        try instance.validate()
        let booting = ContinuousClock.now
        try await LeftoverReaper(state: state).reap(host: host)
        // Ports first: a reservation that fails leaves no run folder behind.
        // A remote host's loopback is not this machine's: no port is
        // forwarded there; facts come over the console, ports are judged
        // from inside the guest.
        let remote = host.remoteDisks
        if remote != nil, keepRunning {
            throw ImageGateError.badInput("--keep-running works on this machine's embedded driver only; \(host.uri) is a remote host")
        }
        var reserved: [LoopbackPort] = []
        defer { reserved.forEach { $0.release() } }
        if remote == nil {
            reserved.append(try LoopbackPort.reserve(lockDirectory: state.ports))
            for _ in servicePorts { reserved.append(try LoopbackPort.reserve(lockDirectory: state.ports)) }
        }
        try Task.checkCancellation()
        let directory = try state.makeRunDirectory(prefix: "boot")
        var plan = BootPlan(image: image, instance: instance, accelerator: accelerator, sshPort: reserved.first?.number ?? 0, directory: directory,
                            name: VMName.make(.boot, remote: remote != nil))
        plan.limits = limits
        plan.interactiveConsole = keepRunning
        configure(&plan)
        if remote != nil {
            plan.factChannels = [.serial]
        } else {
            for (guestPort, hostPort) in zip(servicePorts, reserved.dropFirst()) { plan.servicePorts[guestPort] = hostPort.number }
        }
        guard plan.dataDiskBytes <= limits.dataDiskBytes else {
            Teardown.remove(directory)
            throw ImageGateError.badInput("data disk of \(GateLimits.describe(plan.dataDiskBytes)) is above the limit of \(GateLimits.describe(limits.dataDiskBytes)) (profile limits: max_data_disk_gib)")
        }

        var vm: (any VirtualMachineInstance)?
        var pump: ConsolePump?
        do {
            let seedFiles = try await prepare(plan)
            if let remote { plan.remoteDisks = try await placeOnHost(plan, store: remote) }
            try Task.checkCancellation()
            progress(.started(name: plan.name, accelerator: accelerator, deadline: plan.deadlines.overall))
            let started = Date()
            vm = try await host.start(xml: plan.domainXML, paused: true)
            let liveXML = (try? await vm!.xml()) ?? plan.domainXML
            // The console file exists from the start; reading it from byte 0
            // loses nothing, and the VM runs only once the reader is ready
            // (on a remote host, once its console stream feeds the file).
            if remote != nil {
                pump = try ConsolePump(channel: try await vm!.openConsole(), file: plan.consoleLog, limit: Int64(plan.limits.consoleBytes) + (1 << 20))
            }
            var watcher = ConsoleWatcher(plan: plan, vm: vm!, progress: Self.tracingFirstByte(progress, since: booting, of: plan.name))
            if let remote { watcher.overlayBytes = Self.volumeBytes(remote) }
            try await vm!.resume()
            let observation = try await watcher.watch()
            var findings = BootRules.evaluate(observation)
            var afterReboot: BootObservation?
            if plan.reboot, !findings.contains(where: { $0.isFailure || $0.isUncheckedError }) {
                progress(.note("rebooting the instance (ACPI power button), then judging it again"))
                try await vm!.reboot()
                var again = ConsoleWatcher(plan: plan, vm: vm!, progress: progress)
                if let remote { again.overlayBytes = Self.volumeBytes(remote) }
                again.startOffset = UInt64(observation.console.byteCount)
                let second = try await again.watch()
                afterReboot = second
                findings = BootRules.evaluate(observation, afterReboot: second)
            } else if plan.reboot {
                progress(.note("not rebooted: the first boot already failed or left a rule unjudged"))
            }
            var ports: [ServicePortProbe.Result] = []
            if remote != nil, let facts = (afterReboot ?? observation).facts {
                // No port of this machine reaches the guest: judged from its own sockets.
                let listening = ListeningSockets(listening: facts.listeningTCP ?? "")
                ports = servicePorts.map { port in
                    let (accepted, detail) = facts.listeningTCP == nil ? (false, "judged from inside the guest: the probe could not read /proc/net/tcp") : listening.judge(port: port)
                    return ServicePortProbe.Result(guestPort: port, hostPort: 0, accepted: accepted, detail: detail)
                }
            } else if !plan.servicePorts.isEmpty, (afterReboot ?? observation).facts != nil {
                progress(.note("probing service ports \(plan.servicePorts.keys.sorted().map(String.init).joined(separator: ", "))"))
                ports = await ServicePortProbe.probeAll(plan.servicePorts, within: 15 * accelerator.timeoutMultiplier)
            }
            var result = BootResult(plan: plan, observation: observation, findings: findings, domainXML: liveXML,
                                    kept: keep || keepRunning, servicePorts: ports)
            result.afterReboot = afterReboot
            result.seedFiles = seedFiles
            if keepRunning, vm != nil {
                // Left running for support to step into: recorded so the
                // reaper spares it and `imagegate runs|console|ssh|stop` find it.
                let kept = KeptRun(plan: plan, uri: host.uri, verdict: findings)
                result.keptRun = kept
                try finish(plan, result: result)
                try kept.write()
                vm = nil
                return result
            }
            let wanted = postMortem == .always || (postMortem == .onFailure && findings.contains { $0.isFailure || $0.isUncheckedError })
            if wanted, let vm { await Self.flushGuestDisks(vm, accelerator: accelerator) }
            if let vm { await Teardown.attempt("destroying \(plan.name)") { try await vm.destroy() } }
            vm = nil
            await pump?.stop()
            pump = nil
            if wanted {
                do {
                    var overlay = plan.overlay
                    if let remote, let volume = plan.remoteDisks?.volumes.first {
                        // The overlay comes back; its backing file is this machine's candidate.
                        progress(.note("copying the overlay back from \(host.uri)"))
                        overlay = plan.directory + "/overlay-from-host.qcow2"
                        try await remote.download(volume, to: overlay, limit: plan.limits.overlayBytes + (256 << 20))
                        try await RemoteOverlay.adopt(overlay, backing: plan.image)
                    }
                    progress(.note("reading what the guest wrote from its disk"))
                    result.postMortem = try await PostMortem.collect(overlay: overlay, since: started, accelerator: accelerator, state: state)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    result.postMortem = PostMortem(problems: ["the stopped instance's disk could not be read: \(error)"])
                }
            }
            try finish(plan, result: result)
            // Kept to read: recorded, so no later command reaps it.
            if keep || keepRunning { try KeptRun.folder(of: plan, verdict: findings).write() }
            if let remote, !keep { await Self.deleteVolumes(of: plan, on: remote) }
            return result
        } catch {
            if let vm { await Teardown.attempt("destroying \(plan.name)") { try await vm.destroy() } }
            await pump?.stop()
            if let remote, !keep { await Self.deleteVolumes(of: plan, on: remote) }
            if !keep { Teardown.remove(directory) }
            throw error
        }
    }

    /// The candidate (cached by digest), the overlay on it, the data disk
    /// and the seed, as volumes on a remote host.
    private func placeOnHost(_ plan: BootPlan, store: any RemoteDiskStore) async throws -> RemoteDiskPaths {
        progress(.preparing("the candidate, overlay, data disk and seed as volumes on \(host.uri)"))
        let sha256 = try FileDigest.sha256(plan.image.accessPath)
        let candidate = try await store.candidate(plan.image, sha256: sha256)
        if candidate.uploadedBytes > 0 {
            let rate = Double(candidate.uploadedBytes) / 1_000_000 / max(candidate.seconds, 0.001)
            progress(.note(String(format: "uploaded the candidate (%@) to %@ in %.1f s (%.0f MB/s)",
                                  GateLimits.describe(candidate.uploadedBytes), host.uri, candidate.seconds, rate)))
        } else {
            progress(.note("the candidate is cached on \(host.uri) (\(candidate.name.prefix(26))…, digest verified): nothing uploaded"))
        }
        let overlay = HostPool.overlayVolume(vm: plan.name, candidate: candidate.name), data = HostPool.runVolume(vm: plan.name, "data.qcow2"),
            seed = HostPool.runVolume(vm: plan.name, "seed.iso")
        var paths = RemoteDiskPaths(overlay: "", dataDisk: nil, seed: "", volumes: [])
        paths.uploadedBytes = candidate.uploadedBytes
        paths.overlay = try await store.createOverlay(name: overlay, backing: candidate.path, backingFormat: plan.image.format, capacity: plan.image.virtualSize)
        paths.volumes.append(overlay)
        if plan.dataDiskBytes > 0 {
            paths.dataDisk = try await store.createBlankDisk(name: data, bytes: plan.dataDiskBytes)
            paths.volumes.append(data)
        }
        paths.seed = try await store.upload(file: plan.seed, as: seed)
        paths.volumes.append(seed)
        return paths
    }

    /// A run's volumes on a remote host, deleted (the candidate stays cached).
    private static func deleteVolumes(of plan: BootPlan, on store: any RemoteDiskStore) async {
        await Teardown.attempt("deleting the volumes of \(plan.name) on the remote host") { try await store.deleteRunVolumes(vm: plan.name) }
    }

    private static func volumeBytes(_ store: any RemoteDiskStore) -> @Sendable (BootPlan) async -> Int64? {
        { plan in
            guard let overlay = plan.remoteDisks?.volumes.first else { return nil }
            return try? await store.allocation(of: overlay)
        }
    }

    /// With `IMAGEGATE_TRACE` set, prints on stderr how long the boot took
    /// from its start (before the overlay and seed are made, before libvirt
    /// is asked for the domain) to the domain's first console byte: the
    /// overhead ImageGate and libvirt add before the guest runs.
    static func tracingFirstByte(_ progress: @escaping @Sendable (Event) -> Void, since booting: ContinuousClock.Instant,
                                 of name: String) -> @Sendable (Event) -> Void {
        guard Log.trace != .off else { return progress }
        return { event in
            if case .stage(.firstByte, _) = event {
                let age = ProcessAge.seconds.map { String(format: " (%.1f s after the process started)", $0) } ?? ""
                Log.debug("\(name): first byte \((ContinuousClock.now - booting).seconds) s after booting started\(age)")
            }
            progress(event)
        }
    }

    /// What the guest's kernel logs on the sync key.
    static let sysRqSyncMessage = "sysrq: Emergency Sync"

    /// Asks the guest's kernel, through the magic SysRq keys on its
    /// keyboard, to write its dirty pages out (`s`) and remount its
    /// filesystems read-only (`u`) before the VM is destroyed: what the
    /// guest logged in its last seconds is then on its disk. A guest that
    /// ignores the keys (SysRq off, no keyboard) loses only those seconds.
    static func flushGuestDisks(_ vm: any VirtualMachineInstance, accelerator: Accelerator) async {
        let alt: UInt32 = 56, sysRq: UInt32 = 99, s: UInt32 = 31, u: UInt32 = 22
        for key in [s, u] {
            guard (try? await vm.sendKeys([alt, sysRq, key], holdMilliseconds: 100)) != nil else { return }
            try? await Task.sleep(for: .seconds(accelerator.timeoutMultiplier > 1 ? 2 : 0.5))
        }
    }

    /// Overlay on the candidate, blank data disk, per-run SSH key, seed;
    /// the seed's files are returned.
    private func prepare(_ plan: BootPlan) async throws -> [String: String] {
        progress(.preparing("overlay, data disk, seed"))
        // The overlay's backing file is the candidate's validated open file.
        try await tool("qemu-img", ["create", "-q", "-f", "qcow2", "-F", plan.image.format, "-b", plan.image.accessPath, plan.overlay])
        if plan.dataDiskBytes > 0 { try await tool("qemu-img", ["create", "-q", "-f", "qcow2", plan.dataDisk, String(plan.dataDiskBytes)]) }
        try await tool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "imagegate-\(plan.name)", "-f", plan.sshKey])
        let publicKey = try String(contentsOfFile: plan.sshKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var seed = CloudInitSeed(instance: plan.instance, sshPublicKey: publicKey)
        if plan.dataDiskBytes == 0 { seed.dataDevice = nil }
        seed.probeEveryBoot = plan.reboot
        try await seed.write(to: plan.seed, workDirectory: plan.directory)
        _ = FileManager.default.createFile(atPath: plan.consoleLog, contents: nil)
        return seed.files
    }

    private func tool(_ program: String, _ arguments: [String]) async throws {
        let result = try await BoundedProcess.run(program, arguments, timeout: .seconds(60))
        guard result.status == 0 else {
            throw ImageGateError.infrastructure("\(program) failed: \(result.firstLine)")
        }
    }

    /// Copies the console log out, then removes the run's files unless kept.
    private func finish(_ plan: BootPlan, result: BootResult) throws {
        if let artifacts {
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            let target = artifacts + "/\(plan.name)-console.log"
            Teardown.remove(target)
            try result.consoleText.write(toFile: target, atomically: true, encoding: .utf8)
        }
        if !keep, !keepRunning { Teardown.remove(plan.directory) }
    }
}

/// One boot's outcome.
public struct BootResult: Sendable {
    public var plan: BootPlan
    public var observation: BootObservation
    public var findings: [Finding]
    /// The live domain XML libvirt ran.
    public var domainXML: String
    /// Whether the run folder was kept.
    public var kept: Bool
    /// The declared service ports, as probed after boot.
    public var servicePorts: [ServicePortProbe.Result] = []
    /// What the guest wrote, read from its disk after it stopped.
    public var postMortem: PostMortem?
    /// The NoCloud seed's files (meta-data, network-config, user-data).
    public var seedFiles: [String: String] = [:]
    /// The boot after the reboot step, when the plan had one and the first
    /// boot passed.
    public var afterReboot: BootObservation?
    /// The VM left running for support (`--keep-running`).
    public var keptRun: KeptRun?

    public var failed: Bool { findings.contains { $0.isFailure } }

    /// The console as watched: the first boot's, then the boot's after the
    /// reboot step (line numbers as evidence cites them).
    public var consoleText: String {
        observation.console.text + (afterReboot.map { "\n" + $0.console.text } ?? "")
    }

    public func finding(_ rule: String) -> Finding? { findings.first { $0.rule == rule } }
}

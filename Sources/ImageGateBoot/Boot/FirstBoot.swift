import Foundation
import ImageGateModel

/// Boots a candidate image once as a brand-new instance and judges the
/// BOOT-* rules. On every exit path — verdict, thrown error, timeout,
/// cancellation (SIGINT) — the VM is destroyed and the run's files are
/// removed (unless kept, for a boot not abandoned: ``BootClearance``).
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
    /// What the boot keeps and reads after its verdict.
    public var options = BootOptions()
    /// Guest ports to forward to loopback and probe once the guest is up.
    public var servicePorts: [Int] = []
    /// Data disk, overlay growth and console ceilings (the profile's).
    public var limits = GateLimits()
    public var progress: @Sendable (Event) -> Void = { _ in }
    /// Waited for before anything is kept, read or left running; abandoned,
    /// nothing is kept (``BootClearance``).
    public var clearance: BootClearance?

    public init(host: any VirtualMachineHost, state: StateDirectory = .default) {
        self.host = host
        self.state = state
    }

    /// Boots `image` with `instance`'s metadata on the host's site.
    /// `configure` adjusts the plan (memory, vCPUs, data disk, deadlines)
    /// before anything starts.
    public func run(_ image: ImageFile, instance: InstanceMetadata, accelerator: Accelerator,
                    configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        try instance.validate()
        let booting = ContinuousClock.now
        let site = host.site
        try await LeftoverReaper(state: state).reap(site: site)
        let reservation = try site.reserve(servicePorts: servicePorts, keepRunning: options.keepRunning, state: state)
        defer { reservation.release() }
        try Task.checkCancellation()
        var plan = try makePlan(image, instance: instance, accelerator: accelerator, site: site, reservation: reservation, configure: configure)
        let running = RunningBoot()
        do {
            let seedFiles = try await prepare(plan)
            try await site.place(&plan, progress: progress)
            try Task.checkCancellation()
            let judged = try await startAndJudge(plan, on: site, running: running, booting: booting)
            let ports = await site.judgePorts(plan, declared: servicePorts, facts: (judged.afterReboot ?? judged.first).facts, progress: progress)
            var result = BootResult(plan: plan, observation: judged.first, findings: judged.findings, domainXML: judged.liveXML,
                                    kept: options.keepsFiles, servicePorts: ports)
            result.afterReboot = judged.afterReboot
            result.seedFiles = seedFiles
            try await clearance?.wait()
            if options.keepRunning, running.vm != nil { return try await leaveRunning(result, running: running) }
            try await stopAndRead(&result, on: site, running: running, since: judged.started)
            try finish(plan, result: result)
            // Kept to read: recorded, so no later command reaps it.
            if options.keepsFiles { try KeptRun.folder(of: plan, verdict: result.findings).write() }
            if !options.keep { await site.removePlaced(plan) }
            return result
        } catch {
            await running.stop(plan.name)
            if !options.keep || clearance?.isAbandoned == true {
                await site.removePlaced(plan)
                Teardown.remove(plan.directory)
            }
            throw error
        }
    }

    /// The run folder and the plan in it, settled for `site`.
    private func makePlan(_ image: ImageFile, instance: InstanceMetadata, accelerator: Accelerator, site: any BootSite,
                          reservation: SiteReservation, configure: (inout BootPlan) -> Void) throws -> BootPlan {
        let directory = try state.makeRunDirectory(prefix: "boot")
        var plan = BootPlan(image: image, instance: instance, accelerator: accelerator, sshPort: reservation.sshPort, directory: directory,
                            name: site.vmName(.boot))
        plan.limits = limits
        plan.interactiveConsole = options.keepRunning
        configure(&plan)
        site.settle(&plan, reservation: reservation, servicePorts: servicePorts)
        guard plan.dataDiskBytes <= limits.dataDiskBytes else {
            Teardown.remove(directory)
            throw ImageGateError.badInput("data disk of \(GateLimits.describe(plan.dataDiskBytes)) is above the limit of \(GateLimits.describe(limits.dataDiskBytes)) (profile limits: max_data_disk_gib)")
        }
        return plan
    }

    /// What a boot (and its reboot, if planned) showed, and its judgement.
    private struct Judged {
        var first: BootObservation
        var afterReboot: BootObservation?
        var findings: [Finding]
        var liveXML: String
        var started: Date
    }

    /// Starts the VM paused, attaches its console, lets it run, watches it
    /// to a verdict, and reboots it once if the plan says so and the first
    /// boot held.
    private func startAndJudge(_ plan: BootPlan, on site: any BootSite, running: RunningBoot,
                               booting: ContinuousClock.Instant) async throws -> Judged {
        progress(.started(name: plan.name, accelerator: plan.accelerator, deadline: plan.deadlines.overall))
        let started = Date()
        let vm = try await host.start(xml: plan.domainXML, paused: true)
        running.vm = vm
        // The XML as planned stands in for the live one a host would not give.
        let liveXML = (try? await vm.xml()) ?? plan.domainXML
        // The console file exists from the start; reading it from byte 0
        // loses nothing, and the VM runs only once the reader is ready
        // (where the console is pumped, once the pump feeds the file). A
        // console a person may step into later is a pty on every site, read
        // through libvirt's console stream: nothing writes it to a file once
        // this process is gone.
        let limit = Int64(plan.limits.consoleBytes) + (1 << 20)
        running.pump = plan.interactiveConsole
            ? try ConsolePump(channel: try await vm.openConsole(), file: plan.consoleLog, limit: limit)
            : try await site.attachConsole(of: vm, file: plan.consoleLog, limit: limit)
        var watcher = ConsoleWatcher(plan: plan, vm: vm, progress: Self.tracingFirstByte(progress, since: booting, of: plan.name))
        watcher.overlayBytes = { await site.overlayBytes($0) }
        try await vm.resume()
        var first = try await watcher.watch()
        first.observed = await Self.observe(plan, facts: first.facts, on: site)
        var judged = Judged(first: first, findings: BootRules.evaluate(first), liveXML: liveXML, started: started)
        guard plan.reboot else { return judged }
        guard !judged.findings.contains(where: { $0.isFailure || $0.isUncheckedError }) else {
            progress(.note("not rebooted: the first boot already failed or left a rule unjudged"))
            return judged
        }
        progress(.note("rebooting the instance (ACPI power button), then judging it again"))
        try await vm.reboot()
        var again = ConsoleWatcher(plan: plan, vm: vm, progress: progress)
        again.overlayBytes = watcher.overlayBytes
        again.startOffset = first.consoleBytesRead
        var second = try await again.watch()
        second.observed = await Self.observe(plan, facts: second.facts, on: site)
        judged.afterReboot = second
        judged.findings = BootRules.evaluate(first, afterReboot: second)
        return judged
    }

    /// Left running for support to step into: recorded so the reaper
    /// spares it and `imagegate runs|console|ssh|stop` find it.
    private func leaveRunning(_ result: BootResult, running: RunningBoot) async throws -> BootResult {
        var result = result
        // The console log ends at the verdict; `imagegate console` shows
        // what the guest writes from then on.
        await running.pump?.stop()
        running.pump = nil
        let kept = KeptRun(plan: result.plan, uri: host.uri, verdict: result.findings)
        result.keptRun = kept
        try finish(result.plan, result: result)
        try kept.write()
        running.vm = nil
        return result
    }

    /// Stops the VM (its disks flushed first when they are to be read) and,
    /// as ``BootOptions/postMortem`` says, reads what the guest wrote to its disk.
    private func stopAndRead(_ result: inout BootResult, on site: any BootSite, running: RunningBoot, since started: Date) async throws {
        let plan = result.plan
        let wanted = options.postMortem == .always || (options.postMortem == .onFailure && result.findings.contains { $0.isFailure || $0.isUncheckedError })
        if wanted, let vm = running.vm { await Self.flushGuestDisks(vm, accelerator: plan.accelerator) }
        await running.stop(plan.name)
        guard wanted else { return }
        do {
            let overlay = try await site.fetchOverlay(plan, progress: progress)
            progress(.note("reading what the guest wrote from its disk"))
            result.postMortem = try await PostMortem.collect(overlay: overlay, since: started, accelerator: plan.accelerator, state: state)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            result.postMortem = PostMortem(problems: ["the stopped instance's disk could not be read: \(error)"])
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

    /// What the site sees of the instance from outside; with
    /// `IMAGEGATE_TRACE` set, how long that took (`make bench` reads it).
    static func observe(_ plan: BootPlan, facts: GuestFacts?, on site: any BootSite) async -> OutsideEvidence {
        let started = ContinuousClock.now
        let evidence = await site.observe(plan, facts: facts)
        if Log.trace != .off { Log.debug("\(plan.name): observed from outside in \((ContinuousClock.now - started).seconds) s") }
        return evidence
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
            // A guest without a keyboard or SysRq loses only its last seconds of logs.
            guard (try? await vm.sendKeys([alt, sysRq, key], holdMilliseconds: 100)) != nil else { return }
            // Cancelled: the VM is destroyed next anyway.
            try? await Task.sleep(for: .seconds(accelerator.timeoutMultiplier > 1 ? 2 : 0.5))
        }
    }

    /// Overlay on the candidate, blank data disk, per-run SSH key, seed;
    /// the seed's files are returned.
    private func prepare(_ plan: BootPlan) async throws -> [String: String] {
        progress(.preparing("overlay, data disk, seed"))
        // The overlay's backing file is the candidate's validated open file.
        try await tool("qemu-img", ["create", "-q", "-f", "qcow2", "-F", plan.image.format, "-b", plan.image.accessPath, plan.overlay])
        if plan.dataDiskBytes > 0 { try await tool("qemu-img", ["create", "-q", "-f", "raw", plan.dataDisk, String(plan.dataDiskBytes)]) }
        try await tool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "imagegate-\(plan.name)", "-f", plan.sshKey])
        let publicKey = try String(contentsOfFile: plan.sshKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var seed = CloudInitSeed(instance: plan.instance, sshPublicKey: publicKey, probeNonce: plan.probeNonce)
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
        if let artifacts = options.artifacts {
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            let target = artifacts + "/\(plan.name)-console.log"
            Teardown.remove(target)
            try result.consoleText.write(toFile: target, atomically: true, encoding: .utf8)
        }
        if !options.keepsFiles { Teardown.remove(plan.directory) }
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

    public init(plan: BootPlan, observation: BootObservation, findings: [Finding], domainXML: String, kept: Bool,
                servicePorts: [ServicePortProbe.Result] = []) {
        self.plan = plan
        self.observation = observation
        self.findings = findings
        self.domainXML = domainXML
        self.kept = kept
        self.servicePorts = servicePorts
    }

    public var failed: Bool { findings.contains { $0.isFailure } }

    /// The console as watched: the first boot's, then the boot's after the
    /// reboot step (line numbers as evidence cites them).
    public var consoleText: String {
        observation.console.text + (afterReboot.map { "\n" + $0.console.text } ?? "")
    }

    public func finding(_ rule: String) -> Finding? { findings.first { $0.rule == rule } }
}

/// The VM of a boot in progress and its console pump: stopped once, on
/// whichever path the boot ends. Used by one task at a time.
final class RunningBoot: @unchecked Sendable {
    var vm: (any VirtualMachineInstance)?
    var pump: ConsolePump?

    func stop(_ name: String) async {
        if let vm { await Teardown.attempt("destroying \(name)") { try await vm.destroy() } }
        vm = nil
        await pump?.stop()
        pump = nil
    }
}

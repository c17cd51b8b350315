import Foundation
import ImageGateInspection
import ImageGateModel

/// Decides KVM or TCG by actually trying: a host may offer `/dev/kvm` (and
/// libvirt a `kvm` domain type) while KVM guests hang, so the probe boots
/// the host kernel under KVM and waits for it to get as far as panicking for
/// want of a root filesystem, which a working KVM does in about a second.
///
/// On this machine (libvirt's embedded driver) the probe runs QEMU itself,
/// not through libvirt: libvirt would first probe QEMU's capabilities with
/// KVM, and where KVM hangs that costs two of its 40 s kill timeouts. Once
/// TCG is chosen here, ``KVMMask`` hides `/dev/kvm` from this process, so
/// libvirt never touches KVM either. For another hypervisor (`--connect`)
/// the probe boots a domain through libvirt.
public struct AcceleratorProbe: Sendable {
    /// Where guests run.
    public enum Target: Sendable {
        /// This machine, through QEMU directly.
        case thisMachine
        /// A libvirt hypervisor addressed by URI.
        case hypervisor(any VirtualMachineHost)
    }

    public var target: Target
    public var state: StateDirectory
    /// How long a KVM guest gets to reach its panic line.
    public var deadline: Duration = .seconds(6)
    /// The kernel to boot; nil finds the host's newest one.
    public var kernel: String? = ProbeVM.hostKernel()

    /// A probe of `host`; the embedded driver's guests run on this machine.
    public init(host: any VirtualMachineHost, state: StateDirectory = .default) {
        self.target = LibvirtHost.isEmbedded(host.uri) ? .thisMachine : .hypervisor(host)
        self.state = state
    }

    /// A probe of this machine, which needs no libvirt connection.
    public static func thisMachine(state: StateDirectory = .default) -> AcceleratorProbe {
        AcceleratorProbe(target: .thisMachine, state: state)
    }

    private init(target: Target, state: StateDirectory) {
        self.target = target
        self.state = state
    }

    /// Console lines that prove the kernel ran to the end of its early boot.
    static let bootedThrough = ["Kernel panic", "VFS: Unable to mount root", "Kernel Offset"]

    /// The key under which the answer is remembered.
    var cacheKey: String {
        switch target {
        case .thisMachine: return "qemu:///embed"
        case .hypervisor(let host): return host.uri
        }
    }

    public func choose() async throws -> AcceleratorChoice {
        if let forced = ProcessInfo.processInfo.environment["IMAGEGATE_ACCEL"], !forced.isEmpty {
            guard let accelerator = Accelerator(rawValue: forced) else {
                throw ImageGateError.badInput("IMAGEGATE_ACCEL=\(forced): must be kvm or tcg")
            }
            return AcceleratorChoice(accelerator: accelerator, reason: "forced by IMAGEGATE_ACCEL")
        }
        switch target {
        case .thisMachine: return try await probeThisMachine()
        case .hypervisor(let host): return try await probe(host)
        }
    }

    /// Boots the host kernel under KVM with QEMU as a child of this process;
    /// a QEMU that hangs in KVM is killed at the deadline and not waited for.
    private func probeThisMachine() async throws -> AcceleratorChoice {
        if KVMMask.isApplied {
            return AcceleratorChoice(accelerator: .tcg, reason: "/dev/kvm is masked in this process (TCG was chosen earlier)")
        }
        guard access("/dev/kvm", R_OK | W_OK) == 0 else {
            return AcceleratorChoice(accelerator: .tcg, reason: "/dev/kvm is not usable: \(String(cString: strerror(errno)))")
        }
        guard let kernel else {
            return AcceleratorChoice(accelerator: .tcg, reason: "no readable kernel in /boot to probe KVM with")
        }
        let dir = try state.makeRunDirectory(prefix: "probe")
        defer { Teardown.remove(dir) }
        let console = dir + "/console.log", output = dir + "/qemu.log"
        let qemu = try SpawnedProcess.start("qemu-system-x86_64", [
            "-machine", "pc,accel=kvm", "-cpu", "host", "-m", "256", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-monitor", "none",
            "-kernel", kernel, "-append", "console=ttyS0 panic=-1 loglevel=7",
            "-serial", "file:" + console,
        ], output: output)
        ChildReaper.startSweeping()
        let started = ContinuousClock.now
        defer { qemu.kill() }
        while ContinuousClock.now - started < deadline {
            // Not written yet: the kernel has not booted.
            let log = (try? String(contentsOfFile: console, encoding: .utf8)) ?? ""
            if Self.bootedThrough.contains(where: log.contains) {
                return AcceleratorChoice(accelerator: .kvm, reason: "a KVM guest booted its kernel in \((ContinuousClock.now - started).seconds) s")
            }
            if qemu.hasExited() {
                // QEMU said nothing readable: "no message".
                let said = (try? String(contentsOfFile: output, encoding: .utf8))?
                    .split(separator: "\n").first.map { String($0.prefix(200)) } ?? "no message"
                return AcceleratorChoice(accelerator: .tcg, reason: "QEMU could not run a KVM guest: \(said)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return AcceleratorChoice(accelerator: .tcg, reason: "a KVM guest did not boot its kernel within \(deadline.seconds) s")
    }

    /// Boots the host kernel as a KVM domain of `host`.
    private func probe(_ host: any VirtualMachineHost) async throws -> AcceleratorChoice {
        guard try await host.offersKVM() else {
            return AcceleratorChoice(accelerator: .tcg, reason: "the hypervisor offers no kvm domain type")
        }
        guard let kernel else {
            return AcceleratorChoice(accelerator: .tcg, reason: "no readable kernel in /boot to probe KVM with")
        }
        let dir = try state.makeRunDirectory(prefix: "probe")
        defer { Teardown.remove(dir) }
        let site = host.site
        var boot = ProbeVM(name: site.vmName(.probe), accelerator: .kvm, kernel: kernel, consoleLog: dir + "/console.log")
        let placed = try await site.placeKernel(kernel, vm: boot.name)
        boot.kernel = placed.path
        boot.consoleOverStream = placed.consoleOverStream
        boot.securityLabel = placed.securityLabel
        let vm = try await host.start(xml: boot.domainXML, paused: true)
        let pump = try await site.attachConsole(of: vm, file: boot.consoleLog, limit: 1 << 20)
        try await vm.resume()
        let started = ContinuousClock.now
        var booted = false
        while ContinuousClock.now - started < deadline {
            // Not written yet: the kernel has not booted.
            let log = (try? String(contentsOfFile: boot.consoleLog, encoding: .utf8)) ?? ""
            if Self.bootedThrough.contains(where: log.contains) { booted = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await Teardown.attempt("destroying the probe VM") { try await vm.destroy() }
        await pump?.stop()
        await site.removeKernel(placed)
        let elapsed = ContinuousClock.now - started
        if booted {
            return AcceleratorChoice(accelerator: .kvm, reason: "a KVM guest booted its kernel in \(elapsed.seconds) s")
        }
        return AcceleratorChoice(accelerator: .tcg,
                                 reason: "a KVM guest did not boot its kernel within \(deadline.seconds) s")
    }

    private static let memory = Memory()

    /// ``choose()``, remembered per hypervisor: in memory for the life of
    /// the process, and in the state folder until the host reboots (the
    /// probe costs seconds where KVM hangs). On this machine, TCG also masks
    /// `/dev/kvm` for the rest of the process (``KVMMask``).
    public func chooseOnce() async throws -> AcceleratorChoice {
        let choice = try await rememberedChoice()
        if case .thisMachine = target, choice.accelerator == .tcg {
            try KVMMask.apply(in: state.path)
        }
        return choice
    }

    private func rememberedChoice() async throws -> AcceleratorChoice {
        let key = cacheKey
        if let known = await Self.memory.get(key) { return known }
        let file = ProbeCacheFile(path: state.path + "/accelerator.json")
        let forced = ProcessInfo.processInfo.environment["IMAGEGATE_ACCEL"].map { !$0.isEmpty } ?? false
        if !forced, let known = file.read(uri: key) {
            await Self.memory.set(key, known)
            return known
        }
        let choice = try await choose()
        if !forced { file.write(uri: key, choice: choice) }
        await Self.memory.set(key, choice)
        return choice
    }

    private actor Memory {
        var choices: [String: AcceleratorChoice] = [:]
        func get(_ uri: String) -> AcceleratorChoice? { choices[uri] }
        func set(_ uri: String, _ choice: AcceleratorChoice) { choices[uri] = choice }
    }
}

/// The probe's answers on disk, valid for one boot of the host
/// (`/proc/sys/kernel/random/boot_id`).
struct ProbeCacheFile {
    let path: String

    private struct Entry: Codable {
        var bootID: String
        var accelerator: Accelerator
        var reason: String
    }

    private static var bootID: String {
        // Without a boot ID the answer is not remembered across processes.
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    private func entries() -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        // A damaged memory file is forgotten: the probe runs again.
        return (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
    }

    func read(uri: String) -> AcceleratorChoice? {
        guard let entry = entries()[uri], !Self.bootID.isEmpty, entry.bootID == Self.bootID else { return nil }
        return AcceleratorChoice(accelerator: entry.accelerator, reason: entry.reason + " (probed earlier this boot)")
    }

    func write(uri: String, choice: AcceleratorChoice) {
        var all = entries()
        all[uri] = Entry(bootID: Self.bootID, accelerator: choice.accelerator, reason: choice.reason)
        // Encoding these plain values cannot fail.
        guard let data = try? JSONEncoder().encode(all) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        // If it cannot be made, the write below fails and is logged.
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: data)
    }
}

extension Appliance {
    /// The accelerator of this machine, probed once per host boot (no
    /// libvirt connection needed).
    public static func localAccelerator() async throws -> Accelerator {
        try await AcceleratorProbe.thisMachine().chooseOnce().accelerator
    }
}

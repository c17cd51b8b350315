import Foundation
import Guestfs
import ImageGateModel

/// Inspects a pristine image read-only against the rule catalogue, with one
/// libguestfs appliance launch for the whole catalogue. Nothing of the guest
/// is mounted on the host.
public struct StaticInspector: Sendable {
    public var profile: PlatformProfile
    public var rules: [Rule]
    public var accelerator: Accelerator
    /// How the OS is found: ``OSDetection/fast`` unless a test compares.
    public var osDetection: OSDetection = .fast

    /// How the guest's OS, mounts and packages are found.
    public enum OSDetection: Sendable {
        /// ``RootDiscovery`` where it vouches for the disk, else libguestfs.
        case fast
        /// Always libguestfs's `inspect_os` (seconds slower under TCG).
        case libguestfs
    }

    public init(profile: PlatformProfile = .default, rules: [Rule] = RuleCatalogue.all, accelerator: Accelerator) {
        self.profile = profile
        self.rules = rules
        self.accelerator = accelerator
    }

    /// Validates `path` (``ImageFile/validate(_:)``), then inspects it.
    public func inspect(_ path: String) async throws -> InspectionResult {
        try await inspect(try await ImageFile.validate(path, limits: profile.limits))
    }

    /// Where the appliance's temporary files and decompressed initramfs
    /// parts go: this process's scratch folder, reaped if the process dies.
    public var state: StateDirectory = .default

    /// Inspects an image already validated: one appliance, closed when the
    /// inspection ends however it ends.
    public func inspect(_ image: ImageFile) async throws -> InspectionResult {
        let scratch = try state.scratch()
        return try await Handle.withHandle({ try Appliance.handle(accelerator: accelerator) }) { handle in
            try await handle.setTemporaryDirectory(scratch)
            let started = ContinuousClock.now
            // The validated open file, never the path again.
            try await handle.addDrive(image.accessPath, format: image.format, readOnly: true)
            try Task.checkCancellation()
            try await handle.launch()
            Self.trace(started, "launched")
            return try await inspect(image, drive: nil, handle: handle, scratch: scratch, started: started)
        }
    }

    /// Inspects `image`, the appliance's disk `drive`, in an appliance that
    /// holds several images (``StaticBatch``): only that disk's partitions
    /// are looked at. An image the fast discovery does not vouch for, or
    /// one with LVM, is not judged here: ``NeedsOwnAppliance`` says why.
    func inspect(_ image: ImageFile, drive: String, in handle: Handle, scratch: String, shared: SharedAppliance) async throws -> InspectionResult {
        try await handle.unmountAll()
        return try await inspect(image, drive: drive, handle: handle, scratch: scratch, started: .now, shared: shared)
    }

    /// Why an image of a batch is inspected in an appliance of its own.
    struct NeedsOwnAppliance: Error, CustomStringConvertible {
        var description: String
    }

    static func trace(_ started: ContinuousClock.Instant, _ step: String) {
        Log.debug("\((ContinuousClock.now - started).seconds) s \(step)")
    }

    private func inspect(_ image: ImageFile, drive: String?, handle: Handle, scratch: String,
                         started: ContinuousClock.Instant, shared: SharedAppliance? = nil) async throws -> InspectionResult {
        let path = image.path
        func mark(_ step: String) { Self.trace(started, step) }
        let guestfs = GuestfsFilesystem(handle: handle, limits: profile.limits, scratch: scratch)

        let os: GuestOS
        let layout = try await DiskLayout.probe(handle, drive: drive, partitions: drive == nil ? nil : try await shared?.allPartitions())
        if let drive, !layout.physicalVolumes.isEmpty {
            throw NeedsOwnAppliance(description: "LVM on \(layout.physicalVolumes.joined(separator: ", ")) (of \(drive))")
        }
        let discovery: RootDiscovery.Outcome
        do {
            discovery = osDetection == .fast ? try await RootDiscovery(handle: handle, fs: guestfs).discover(layout) : .unsure("libguestfs asked for")
        } catch {
            discovery = .unsure("\(error)")  // e.g. a directory where os-release should be
        }
        // In a batch, an image only libguestfs's inspection can read is read
        // so when that inspection vouches for roots on this disk alone.
        var batchRoots: [String]?
        if let drive, case let .unsure(reason) = discovery {
            let onDrive: [String]?
            do {
                onDrive = try await shared?.roots(on: drive)
            } catch let error as GuestfsError {
                // Any disk of the batch may have caused it: this one is judged alone.
                guard await handle.isApplianceAlive() else { throw error }
                throw NeedsOwnAppliance(description: "\(reason); libguestfs's inspection of the shared appliance's disks failed: \(TerminalText.sanitize(error.message))")
            }
            guard let onDrive, !onDrive.isEmpty else { throw NeedsOwnAppliance(description: reason) }
            batchRoots = onDrive
        }
        switch discovery {
        case .found(let found):
            let id = found.identity
            os = GuestOS(family: "linux", identity: id, packages: found.packages, root: found.root,
                         mountpoints: found.mountpoints, mountFailures: found.mountFailures,
                         found: [GuestOS.describe(family: "linux", id, root: found.root)])
            mark("found \(id.distro) \(id.majorVersion).\(id.minorVersion) on \(found.root)")
        case .unsure(let reason):
            mark("libguestfs inspection (\(reason))")
            try await handle.unmountAll()
            os = try await inspectOrNameWhy(handle: handle, path: path, roots: batchRoots)
            mark("inspected")
        }
        let cache = CachingFilesystem(guestfs)
        var facts = try await gatherFacts(handle: handle, fs: cache, os: os, layout: layout, image: image, disk: drive ?? "/dev/sda")
        mark("facts")
        // Nothing under a filesystem the guest needs but that would not mount
        // is judged as if it had been read.
        let fs = MountAwareFilesystem(cache, mounts: facts.mounts)
        var registry: GuestfsRegistry?
        if facts.family == "windows" {
            let windows = try await WindowsFacts.read(handle, root: os.root, drive: drive, layout: layout, volumes: facts.volumes)
            facts.windows = windows
            // Hives are larger than other guest files: four times the per-file limit.
            registry = await GuestfsRegistry.open(handle: handle, fs: fs, systemRoot: windows.systemRoot,
                                                  currentControlSet: windows.currentControlSet, limit: Int64(profile.limits.guestFileBytes) * 4)
            mark("windows facts")
        }
        if let drive { facts = facts.naming(drive, as: "/dev/sda") }
        let context = RuleContext(fs: fs, facts: facts, profile: profile, registry: registry)
        var findings: [Finding] = []
        for rule in RuleCatalogue.rules(rules, for: facts.family) {
            try Task.checkCancellation()
            findings.append(await rule.evaluate(context))
            mark(rule.id)
        }
        await registry?.close()
        return InspectionResult(image: image, facts: facts, findings: findings,
                                accelerator: accelerator, seconds: (ContinuousClock.now - started).seconds)
    }

    /// ``inspectWithLibguestfs(handle:path:roots:)``; when it fails on the
    /// image's own bytes, no OS with the reason why. Whose fault a failure
    /// is, the appliance tells: one that still answers read a guest it
    /// could not make sense of; one that died is ImageGate's machinery, and
    /// the error stands.
    private func inspectOrNameWhy(handle: Handle, path: String, roots: [String]?) async throws -> GuestOS {
        do {
            return try await inspectWithLibguestfs(handle: handle, path: path, roots: roots)
        } catch let error as GuestfsError {
            guard await handle.isApplianceAlive() else { throw error }
            var none = GuestOS.none
            none.unreadable = TerminalText.sanitize(error.message)
            try await handle.unmountAll()
            return none
        }
    }

    /// libguestfs's inspection: the OS, its mounts (mounted read-only) and
    /// its packages.
    /// With no OS on the disk, the family is `none` (IMG-OS fails); with
    /// several, the first is inspected and every one is listed.
    private func inspectWithLibguestfs(handle: Handle, path: String, roots: [String]? = nil) async throws -> GuestOS {
        var inspected: [OSInspection] = []
        let all = if let roots { roots } else { try await handle.inspectOS() }
        for root in all { inspected.append(try await handle.inspect(root: root)) }
        let found = inspected.map { os in
            GuestOS.describe(family: os.type, OSIdentity(distro: os.distro, majorVersion: os.majorVersion, minorVersion: os.minorVersion,
                                                         productName: os.productName, packageFormat: os.packageFormat), root: os.root)
        }
        guard let os = inspected.first else { return .none }
        let root = os.root
        let failures = try await handle.mountReadOnly(os.mountpoints)
        var packages: [String: String] = [:]
        // An unreadable package database lists nothing here; the dpkg reader above already says why.
        for app in (try? await handle.applications(root: root)) ?? [] where packages[app.name] == nil {
            packages[app.name] = app.fullVersion
        }
        return GuestOS(family: os.type, identity: OSIdentity(distro: os.distro, majorVersion: os.majorVersion, minorVersion: os.minorVersion,
                                                             productName: os.productName, packageFormat: os.packageFormat),
                       packages: packages, root: root, mountpoints: os.mountpoints, mountFailures: failures, found: found)
    }

    /// Kernels are read through the rules' cache, which then knows `/lib/modules`.
    /// The guest's fstab, matched with what was mounted, says what could
    /// not be read.
    private func gatherFacts(handle: Handle, fs: CachingFilesystem, os: GuestOS, layout: DiskLayout, image: ImageFile, disk: String) async throws -> OSFacts {
        var kernels: [String] = []
        var mounts: [GuestMount] = []
        if os.family == "linux" {
            for name in try await fs.list("/lib/modules") ?? [] where try await fs.list("/lib/modules/" + name) != nil {
                kernels.append(name)
            }
            // No readable fstab: no mount to follow; the fstab rules read it themselves and say why.
            let fstab = Fstab(parsing: (try? await fs.read("/etc/fstab")) ?? "")
            let attempted = Dictionary(os.mountpoints.map { ($0.mountpoint, $0.device) }) { first, _ in first }
            mounts = GuestMount.table(fstab: fstab, root: os.root, attempted: attempted, failures: os.mountFailures)
        } else {
            mounts = os.mountpoints.map { GuestMount(mountpoint: $0.mountpoint, spec: $0.device, mounted: os.mountFailures[$0.mountpoint] == nil,
                                                     problem: os.mountFailures[$0.mountpoint]) }
        }
        let volumes = await layout.volumes(handle)
        let id = os.identity
        var facts = OSFacts(family: os.family, distro: id.distro, majorVersion: id.majorVersion, minorVersion: id.minorVersion,
                            productName: id.productName, packageFormat: id.packageFormat, packages: os.packages,
                            kernels: kernels.sorted(), diskVirtualSize: image.virtualSize, imageFormat: image.format,
                            volumes: volumes)
        facts.operatingSystems = os.found
        facts.unreadableOS = os.unreadable
        // Unread, the boot code stays unknown: the rule reading it says so.
        facts.bootCode = (try? await handle.readDevice(disk, at: 0, count: 440)).map { $0.count == 440 && $0.contains { $0 != 0 } }
        facts.mounts = mounts
        return facts
    }
}

/// The OS as either way of finding it reports it.
private struct GuestOS {
    var family: String
    var identity: OSIdentity
    var packages: [String: String]
    /// The root filesystem's device.
    var root: String
    var mountpoints: [OSInspection.Mount]
    /// Mount point → why it would not mount.
    var mountFailures: [String: String]
    /// Every OS on the disk, described.
    var found: [String]
    /// Why no OS could be read, when the image's bytes stopped inspection.
    var unreadable: String?

    /// No operating system on the disk.
    static let none = GuestOS(family: "none", identity: OSIdentity(distro: "unknown", majorVersion: 0, minorVersion: 0,
                                                                  productName: "no operating system", packageFormat: "unknown"),
                              packages: [:], root: "", mountpoints: [], mountFailures: [:], found: [])

    static func describe(family: String, _ id: OSIdentity, root: String) -> String {
        "\(family) \(id.distro) \(id.majorVersion).\(id.minorVersion) (\(id.productName)) on \(root)"
    }
}

/// The outcome of a static inspection.
public struct InspectionResult: Sendable, Codable {
    public var image: ImageFile
    public var facts: OSFacts
    public var findings: [Finding]
    public var accelerator: Accelerator
    public var seconds: Double
    /// The candidate's SHA-256 before and after, where the caller took them.
    public var digest: CandidateDigest?

    public init(image: ImageFile, facts: OSFacts, findings: [Finding], accelerator: Accelerator, seconds: Double = 0, digest: CandidateDigest? = nil) {
        self.image = image
        self.facts = facts
        self.findings = findings
        self.accelerator = accelerator
        self.seconds = seconds
        self.digest = digest
    }

    /// True when some rule fails (and is not waived).
    public var failed: Bool { findings.contains { $0.isFailure } }

    public var verdict: GateVerdict { GateVerdict(findings) }

    /// The same result with every rule's texts in `language`.
    public func localized(_ language: Language) -> InspectionResult {
        var result = self
        result.findings = language.localize(findings, chinese: RuleCatalogue.chinese)
        return result
    }
}

extension OSFacts {
    /// The facts of an image that was the appliance's disk `drive` in a
    /// batch, with its devices named as they are when it is the only disk:
    /// the report of an image does not depend on its neighbours.
    func naming(_ drive: String, as alone: String) -> OSFacts {
        func rename(_ device: String) -> String {
            device == drive || DiskLayout.partition(device, isOn: drive) ? alone + device.dropFirst(drive.count) : device
        }
        func renameIn(_ text: String) -> String { text.replacingOccurrences(of: drive, with: alone) }
        var facts = self
        facts.volumes = volumes.map { var volume = $0; volume.device = rename(volume.device); return volume }
        facts.operatingSystems = operatingSystems.map(renameIn)
        facts.mounts = mounts.map { var mount = $0; mount.spec = rename(mount.spec); mount.problem = mount.problem.map(renameIn); return mount }
        if var windows = facts.windows {
            windows.systemDevice = rename(windows.systemDevice)
            windows.partitions = windows.partitions.map { var partition = $0; partition.device = rename(partition.device); return partition }
            facts.windows = windows
        }
        return facts
    }
}

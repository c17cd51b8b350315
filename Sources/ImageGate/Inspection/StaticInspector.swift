import Foundation
import Guestfs

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
        try await inspect(try ImageFile.validate(path))
    }

    /// Inspects an image already validated.
    public func inspect(_ image: ImageFile) async throws -> InspectionResult {
        let started = ContinuousClock.now
        let path = image.path
        let trace = ProcessInfo.processInfo.environment["IMAGEGATE_TRACE"] != nil
        func mark(_ step: String) {
            if trace { FileHandle.standardError.write(Data("trace: \((ContinuousClock.now - started).seconds) s \(step)\n".utf8)) }
        }
        let handle = try Appliance.handle(accelerator: accelerator)
        try await handle.addDrive(image.path, format: image.format, readOnly: true)
        try await handle.launch()
        mark("launched")

        let os: GuestOS
        let layout = try await DiskLayout.probe(handle)
        let discovery: RootDiscovery.Outcome
        do {
            discovery = osDetection == .fast ? try await RootDiscovery(handle: handle).discover(layout) : .unsure("libguestfs asked for")
        } catch {
            discovery = .unsure("\(error)")  // e.g. a directory where os-release should be
        }
        switch discovery {
        case .found(let found):
            os = GuestOS(family: "linux", identity: found.identity, packages: found.packages)
            mark("found \(found.identity.distro) \(found.identity.majorVersion).\(found.identity.minorVersion) on \(found.root)")
        case .unsure(let reason):
            mark("libguestfs inspection (\(reason))")
            try await handle.unmountAll()
            os = try await inspectWithLibguestfs(handle: handle, path: path)
            mark("inspected")
        }
        let fs = CachingFilesystem(GuestfsFilesystem(handle: handle))
        let facts = try await gatherFacts(handle: handle, fs: fs, os: os, layout: layout, image: image)
        mark("facts")
        let context = RuleContext(fs: fs, facts: facts, profile: profile)
        var findings: [Finding] = []
        for rule in rules {
            findings.append(await rule.evaluate(context))
            mark(rule.id)
        }
        return InspectionResult(image: image, facts: facts, findings: findings,
                                accelerator: accelerator, seconds: (ContinuousClock.now - started).seconds)
    }

    /// libguestfs's inspection: the OS, its mounts (mounted read-only) and
    /// its packages.
    private func inspectWithLibguestfs(handle: Handle, path: String) async throws -> GuestOS {
        let roots = try await handle.inspectOS()
        guard let root = roots.first else {
            throw InputError("\(path): no operating system found on the disk")
        }
        let os = try await handle.inspect(root: root)
        try await handle.mountReadOnly(os.mountpoints)
        var packages: [String: String] = [:]
        for app in (try? await handle.applications(root: root)) ?? [] where packages[app.name] == nil {
            packages[app.name] = app.fullVersion
        }
        return GuestOS(family: os.type, identity: OSIdentity(distro: os.distro, majorVersion: os.majorVersion, minorVersion: os.minorVersion,
                                                             productName: os.productName, packageFormat: os.packageFormat),
                       packages: packages)
    }

    /// Kernels are read through the rules' cache, which then knows `/lib/modules`.
    private func gatherFacts(handle: Handle, fs: CachingFilesystem, os: GuestOS, layout: DiskLayout, image: ImageFile) async throws -> OSFacts {
        var kernels: [String] = []
        for name in try await fs.list("/lib/modules") ?? [] where try await fs.list("/lib/modules/" + name) != nil {
            kernels.append(name)
        }
        let volumes = await layout.volumes(handle)
        let id = os.identity
        return OSFacts(family: os.family, distro: id.distro, majorVersion: id.majorVersion, minorVersion: id.minorVersion,
                       productName: id.productName, packageFormat: id.packageFormat, packages: os.packages,
                       kernels: kernels.sorted(), diskVirtualSize: image.virtualSize, imageFormat: image.format,
                       volumes: volumes)
    }
}

/// The OS as either way of finding it reports it.
private struct GuestOS {
    var family: String
    var identity: OSIdentity
    var packages: [String: String]
}

/// The outcome of a static inspection.
public struct InspectionResult: Sendable, Codable {
    public var image: ImageFile
    public var facts: OSFacts
    public var findings: [Finding]
    public var accelerator: Accelerator
    public var seconds: Double

    /// True when some rule fails (and is not waived).
    public var failed: Bool { findings.contains { $0.isFailure } }

    public var verdict: GateVerdict { GateVerdict(findings) }
}

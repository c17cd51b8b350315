import Foundation
import Guestfs

/// Inspects a pristine image read-only against the rule catalogue, with one
/// libguestfs appliance launch for the whole catalogue. Nothing of the guest
/// is mounted on the host.
public struct StaticInspector: Sendable {
    public var profile: PlatformProfile
    public var rules: [Rule]
    public var accelerator: Accelerator

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

        let roots = try await handle.inspectOS()
        guard let root = roots.first else {
            throw InputError("\(path): no operating system found on the disk")
        }
        let os = try await handle.inspect(root: root)
        mark("inspected")
        // Mount the guest's filesystems read-only, shortest mount point first.
        for mount in os.mountpoints.sorted(by: { $0.mountpoint.count < $1.mountpoint.count }) {
            do {
                try await handle.mountReadOnly(mount.device, at: mount.mountpoint)
            } catch where mount.mountpoint != "/" {
                continue  // a filesystem that will not mount leaves the rest checkable
            }
        }
        mark("mounted")
        let facts = try await gatherFacts(handle: handle, os: os, image: image)
        mark("facts")
        let context = RuleContext(fs: CachingFilesystem(GuestfsFilesystem(handle: handle)), facts: facts, profile: profile)
        var findings: [Finding] = []
        for rule in rules {
            findings.append(await rule.evaluate(context))
            mark(rule.id)
        }
        return InspectionResult(image: image, facts: facts, findings: findings,
                                accelerator: accelerator, seconds: (ContinuousClock.now - started).seconds)
    }

    private func gatherFacts(handle: Handle, os: OSInspection, image: ImageFile) async throws -> OSFacts {
        var packages: [String: String] = [:]
        for app in (try? await handle.applications(root: os.root)) ?? [] where packages[app.name] == nil {
            packages[app.name] = app.fullVersion
        }
        var kernels: [String] = []
        for name in (try? await handle.list("/lib/modules")) ?? [] where (try? await handle.isDirectory("/lib/modules/" + name, followSymlinks: true)) == true {
            kernels.append(name)
        }
        // Partitions and logical volumes with their filesystem types
        // (list_filesystems probes much more and costs seconds under TCG).
        var volumes: [OSFacts.Volume] = []
        let devices = try await handle.partitions() + ((try? await handle.logicalVolumes()) ?? [])
        for device in devices {
            let type = (try? await handle.filesystemType(device)) ?? "unknown"
            var volume = OSFacts.Volume(device: device, filesystem: type)
            if let location = try? await handle.partitionLocation(device),
               let table = try? await handle.partitionTableType(location.device) {
                if table == "msdos" { volume.mbrID = try? await handle.mbrID(location.device, partition: location.number) }
                if table == "gpt" { volume.gptType = try? await handle.gptType(location.device, partition: location.number) }
            }
            volumes.append(volume)
        }
        return OSFacts(family: os.type, distro: os.distro, majorVersion: os.majorVersion, minorVersion: os.minorVersion,
                       productName: os.productName, packageFormat: os.packageFormat, packages: packages,
                       kernels: kernels.sorted(), diskVirtualSize: image.virtualSize, imageFormat: image.format,
                       volumes: volumes)
    }
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
}

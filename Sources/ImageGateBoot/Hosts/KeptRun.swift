import Foundation
import ImageGateModel

/// A run left running after its verdict (`--keep-running`), for support to
/// step into, or a run folder kept to read (`--keep`, ``folderOnly``): its
/// record (`kept.json` in its run folder) says which VM, where it lives and
/// how to reach it. A kept run is never reaped as a leftover: only
/// `imagegate stop` (by ID or by age) ends it.
public struct KeptRun: Sendable, Codable, Equatable {
    /// What people type: the last part of the run folder's name.
    public var id: String
    /// The run folder (overlay, data disk, seed, console log, SSH key).
    public var directory: String
    public var vmName: String
    /// The libvirt connection the VM runs on.
    public var uri: String
    public var sshPort: Int
    public var hostname: String
    public var image: String
    /// The rules that failed or could not be checked, or "pass".
    public var verdict: String
    /// When it was kept (ISO 8601).
    public var keptAt: String
    /// Only the run folder was kept (`--keep`): its VM was destroyed.
    public var folderOnly: Bool?

    static let fileName = "kept.json"
    /// Most a record may be (it is a few hundred bytes).
    static let recordLimit = 64 << 10

    public init(plan: BootPlan, uri: String, verdict findings: [Finding], keptAt: Date = Date()) {
        directory = plan.directory
        id = String(plan.directory.split(separator: "-").last ?? Substring(plan.directory))
        vmName = plan.name
        self.uri = uri
        sshPort = plan.sshPort
        hostname = plan.instance.hostname
        image = plan.image.path
        let open = findings.filter { $0.isFailure || $0.isUncheckedError }.map { "\($0.rule) \($0.outcome.rawValue)" }
        verdict = open.isEmpty ? "pass" : open.joined(separator: ", ")
        self.keptAt = ISO8601DateFormatter().string(from: keptAt)
    }

    public var sshKey: String { directory + "/id_ed25519" }
    public var consoleLog: String { directory + "/console.log" }

    /// The embedded libvirt root the VM lives in (nil: a libvirt daemon's).
    public var embeddedRoot: String? { Self.embeddedRoot(of: uri) }

    static func embeddedRoot(of uri: String) -> String? {
        guard LibvirtHost.isEmbedded(uri), let range = uri.range(of: "root=") else { return nil }
        return String(uri[range.upperBound...].prefix { $0 != "&" })
    }

    /// Seconds since it was kept.
    public func age(now: Date = Date()) -> Double {
        ISO8601DateFormatter().date(from: keptAt).map { now.timeIntervalSince($0) } ?? 0
    }

    /// Whether its QEMU still runs on this machine (nil: a remote host's).
    public var isRunning: Bool? {
        if folderOnly == true { return false }
        return embeddedRoot == nil ? nil : ChildReaper.pid(ofGuest: vmName) != nil
    }

    /// The record of a run folder kept without its VM.
    public static func folder(of plan: BootPlan, verdict findings: [Finding]) -> KeptRun {
        var kept = KeptRun(plan: plan, uri: "", verdict: findings)
        kept.folderOnly = true
        return kept
    }

    public func write() throws {
        try JSONEncoder.report.encode(self).write(to: URL(fileURLWithPath: directory + "/" + Self.fileName), options: .atomic)
    }

    /// Every kept run in `state`, oldest first.
    public static func all(state: StateDirectory = .default) -> [KeptRun] {
        // No runs folder yet: no kept run.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
        return names.compactMap { record(in: state.runs + "/" + $0) }.sorted { $0.keptAt < $1.keptAt }
    }

    /// The record in a run folder, if the run was kept.
    static func record(in directory: String) -> KeptRun? {
        guard let file = FileHandle(forReadingAtPath: directory + "/" + fileName) else { return nil }
        // Read-only: nothing is lost if closing fails.
        defer { try? file.close() }
        // An unreadable or foreign record is no kept run (the folder is then an ordinary leftover).
        guard let data = try? file.read(upToCount: recordLimit),
              var run = try? JSONDecoder().decode(KeptRun.self, from: data) else { return nil }
        run.directory = directory  // where it is now, whatever the record says
        return run
    }

    /// The kept run `id` names: its ID, its run folder's name, or a unique
    /// start of either.
    public static func find(_ id: String, state: StateDirectory = .default) throws -> KeptRun {
        let runs = all(state: state)
        let folder = { (run: KeptRun) in URL(fileURLWithPath: run.directory).lastPathComponent }
        if let exact = runs.first(where: { $0.id == id || folder($0) == id }) { return exact }
        let matches = id.isEmpty ? [] : runs.filter { $0.id.hasPrefix(id) || folder($0).hasPrefix(id) }
        guard matches.count == 1 else {
            throw ImageGateError.badInput(matches.isEmpty ? "\(id): no kept run has this ID (imagegate runs lists them)"
                                             : "\(id): names \(matches.count) kept runs (\(matches.map(\.id).joined(separator: ", "))); give more of the ID")
        }
        return matches[0]
    }

    /// The `ssh` arguments that reach the run as ImageGate's test user,
    /// with nothing of the reviewer's own SSH set-up (as ``SSHProbe``).
    public func sshArguments(command: [String], terminal: Bool) -> [String] {
        SSHProbe.isolatedOptions(key: sshKey, port: sshPort, knownHosts: directory + "/known_hosts")
            + (terminal && command.isEmpty ? ["-t"] : ["-T"])
            + ["\(CloudInitSeed.testUser)@127.0.0.1"] + (command.isEmpty ? [] : ["--"] + command)
    }

    /// Destroys the VM and removes the run folder; what could not be done
    /// is thrown after everything else was tried.
    public func stop(state: StateDirectory = .default) async throws {
        var firstError: Error?
        if folderOnly != true {
            do {
                try await LibvirtHost.with(uri, state: state) { host in
                    for vm in try await host.instances(prefix: vmName) where vm.name == vmName {
                        try await vm.destroy()
                    }
                }
            } catch {
                firstError = error
            }
        }
        if embeddedRoot != nil {
            // The embedded driver reconnects to the VM as it opens; a destroy
            // during that reconnect kills QEMU and then reports the domain
            // as not found. What counts is that QEMU is gone; one libvirt no
            // longer knows of is still this run's, and is ended here.
            // Cancelled: stop checks below whether QEMU is gone.
            for _ in 0..<50 where ChildReaper.pid(ofGuest: vmName) != nil { try? await Task.sleep(for: .milliseconds(100)) }
            if let pid = ChildReaper.pid(ofGuest: vmName) {
                kill(pid, SIGKILL)
                // Cancelled: as above.
                for _ in 0..<50 where ChildReaper.pid(ofGuest: vmName) != nil { try? await Task.sleep(for: .milliseconds(100)) }
            }
            if ChildReaper.pid(ofGuest: vmName) == nil { firstError = nil }
        }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            if firstError == nil { firstError = error } else { Log.warning("could not remove \(directory): \(error)") }
        }
        if let firstError { throw firstError }
    }
}

extension StateDirectory {
    /// The boots running now, of any live ImageGate process: their run
    /// folders' names (kept runs are listed by ``KeptRun/all(state:)``).
    public func bootsInProgress() -> [String] {
        // No runs folder yet: no boot in progress.
        ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).filter { name in
            name.hasPrefix("boot-") && Self.owner(ofRun: name)?.isAlive == true && KeptRun.record(in: runs + "/" + name) == nil
        }.sorted()
    }
}

import Foundation
import ImageGateModel

/// Cleans up after runs of this state folder that crashed or were killed:
/// QEMU processes of VMs named `imagegate-…` whose owning process is gone
/// and whose command line names this state folder are killed, their libvirt
/// domains destroyed, and run folders (and scratch folders) whose owner is
/// gone removed. Another state folder's VMs are that folder's to reap, at
/// its own next start. The owner is a ``ProcessIdentity``: a process ID and its
/// start time, so a reused ID cannot hide an orphan. Runs of live processes
/// (parallel runs) are left alone.
public struct LeftoverReaper: Sendable {
    public var state: StateDirectory

    public init(state: StateDirectory = .default) {
        self.state = state
    }

    /// What needs no hypervisor connection: QEMU processes and folders.
    /// Every command runs this at its start. Returns what was reaped.
    @discardableResult
    public func reapProcessesAndFolders() -> [String] {
        var reaped: [String] = []
        let kept = Set(KeptRun.all(state: state).map(\.vmName))
        for (pid, name) in Self.imageGateQEMUs(of: state) where !kept.contains(name) && VMName.isOwnedHere(name) {
            guard let owner = VMName.owner(of: name), !owner.isAlive, owner.pid != getpid() else { continue }
            if kill(pid, SIGKILL) == 0 { reaped.append("QEMU \(pid) of \(name)") }
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: state.runs)
        } catch {
            return reaped  // no runs folder yet
        }
        for name in names where KeptRun.record(in: state.runs + "/" + name) == nil {
            guard let owner = StateDirectory.owner(ofRun: name), !owner.isAlive else { continue }
            do {
                try FileManager.default.removeItem(atPath: state.runs + "/" + name)
                reaped.append("run folder \(name)")
            } catch {
                Log.warning("could not remove the leftover run folder \(name): \(error)")
            }
        }
        return reaped
    }

    /// The above, then the domains of dead owners on `site` (the embedded
    /// driver forgets a killed QEMU's domain only once asked), then what
    /// else they left there.
    @discardableResult
    public func reap(site: any BootSite) async throws -> [String] {
        var reaped = reapProcessesAndFolders()
        let kept = Set(KeptRun.all(state: state).map(\.vmName))
        // A remote host is shared: only this machine's VMs (boots and
        // accelerator probes, their names carrying its tag) can be judged
        // orphans by a process here.
        var instances: [any VirtualMachineInstance] = []
        for prefix in site.reapablePrefixes {
            instances += try await site.host.instances(prefix: prefix)
        }
        for vm in instances where !kept.contains(vm.name) {
            guard let owner = VMName.owner(of: vm.name), !owner.isAlive else { continue }
            do {
                try await vm.destroy()
                reaped.append("domain \(vm.name)")
            } catch {
                Log.warning("could not destroy the leftover domain \(vm.name): \(error)")
            }
        }
        reaped += await site.reapLeftovers(activeDomains: Set(instances.map(\.name)))
        return reaped
    }

    /// This process's own run, at once (a second Ctrl-C): its child
    /// processes are killed and its run and scratch folders removed. The
    /// domains' libvirt state is left for the next start to reap.
    public func reapOwnRun() {
        let me = getpid()
        // /proc is always there on Linux; a failed listing only leaves the next start to reap.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), ProcessStat(pid: pid)?.parent == me else { continue }
            kill(pid, SIGKILL)
        }
        let mine = "-\(ProcessIdentity.current)-"
        // No runs folder yet: nothing of this run to remove.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
        where name.contains(mine) && KeptRun.record(in: state.runs + "/" + name) == nil {
            Teardown.remove(state.runs + "/" + name)
        }
    }

    /// Removes this process's scratch folders (at a normal exit).
    public static func removeScratch() {
        ScratchFolder.shared.removeAll()
    }

    /// Whether a QEMU argument names a file of `folder`'s own runs or
    /// libvirt root, where a path starts (after `=`, `,`, `:` or a quote):
    /// a state folder nested in it (`folder/other/runs/…`) or holding it
    /// (`/x/folder/runs/…`) is another's.
    package static func names(_ argument: String, ownFilesOf folder: String) -> Bool {
        for own in [folder + "runs/", folder + "libvirt/"] {
            var rest = argument.startIndex..<argument.endIndex
            while let found = argument.range(of: own, range: rest) {
                if found.lowerBound == argument.startIndex || "=,:\"'".contains(argument[argument.index(before: found.lowerBound)]) { return true }
                rest = found.upperBound..<argument.endIndex
            }
        }
        return false
    }

    /// Every QEMU process on this machine running a VM named by ImageGate
    /// from `state` (its disks and sockets lie in that folder): (PID, VM
    /// name), read from `-name guest=NAME,…` on its command line.
    package static func imageGateQEMUs(of state: StateDirectory) -> [(pid_t, String)] {
        var found: [(pid_t, String)] = []
        let marker = "guest=" + VMName.prefix
        let folders = Set([state.path, URL(fileURLWithPath: state.path).resolvingSymlinksInPath().path].map { $0 + "/" })
        // /proc is always there on Linux; a failed listing finds nothing to reap now, the next start does.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = ProcessStat(pid: pid), stat.command.hasPrefix("qemu-system"),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.contains(where: { argument in folders.contains { names(argument, ownFilesOf: $0) } }) else { continue }
            for argument in arguments where argument.hasPrefix(marker) {
                let name = argument.dropFirst("guest=".count).prefix { $0 != "," }
                found.append((pid, String(name)))
            }
        }
        return found
    }
}

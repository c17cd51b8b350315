import Foundation
import Libvirt
import ImageGateModel

/// ``VirtualMachineHost`` backed by a libvirt connection.
public struct LibvirtHost: VirtualMachineHost {
    public let connection: Connection
    public var uri: String { connection.uri }
    /// ImageGate's storage pool there, for any URI but the embedded driver:
    /// a remote host's QEMU cannot open this machine's files.
    public let pool: RemoteVolumeStore?
    public var site: any BootSite { pool.map { RemoteSite(host: self, store: $0) } ?? LocalSite(host: self) }

    public func bootCapacity() async throws -> Int { try await connection.bootCapacity() }

    /// `libvirt 9.0.0, QEMU 7.2.0, kernel 6.1.0-28-amd64`: the kernel only
    /// where the VMs run on this machine (a remote host's is not known).
    public func versions() async -> String? {
        // A version libvirt does not tell is left out; the rest still compares.
        let libvirt = try? await connection.libvirtVersion(), qemu = try? await connection.hypervisorVersion()
        var parts = [libvirt.map { "libvirt \($0)" }, qemu.map { "QEMU \($0)" }].compactMap { $0 }
        if pool == nil, let kernel = Self.kernelRelease() { parts.append("kernel \(kernel)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// This machine's kernel release, as `uname -r` prints it.
    static func kernelRelease() -> String? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Connects to `uri`, or by default to libvirt's embedded QEMU driver
    /// rooted in ImageGate's state folder (no daemon needed).
    ///
    /// An embedded root serves one process at a time (and libvirt starts
    /// its embedded driver once per process), so each ImageGate process
    /// first takes a lock on the first free root of `libvirt/0`,
    /// `libvirt/1`, ... and keeps it for its life. Opening a root also
    /// brings back the VMs a crashed process left in it, for the ``Reaper``.
    ///
    /// Before the embedded driver opens, this machine's accelerator is
    /// chosen (``AcceleratorProbe/chooseOnce()``), so that where KVM hangs
    /// ``KVMMask`` hides it before libvirt first looks; and every root
    /// shares one QEMU capabilities cache, so a new root (a parallel run)
    /// does not probe QEMU again.
    public static func connect(_ uri: String? = nil, state: StateDirectory = .default) async throws -> LibvirtHost {
        ChildReaper.adopt
        let root: String
        if let uri {
            try LibvirtURI.check(uri)
            guard isEmbedded(uri), let kept = KeptRun.embeddedRoot(of: uri) else {
                let connection = try await Connection.open(uri)
                if !isEmbedded(uri) { await RemoteLink.keepAlive(connection) }
                let pool = isEmbedded(uri) ? nil : RemoteVolumeStore(connection: connection, settings: .fromEnvironment, state: state)
                return LibvirtHost(connection: connection, pool: pool)
            }
            // A kept run's root: this one, inside this state folder (a
            // record read back from disk names no other), and no other
            // process in it.
            let ownRoots = URL(fileURLWithPath: state.libvirtRoot).standardizedFileURL.path + "/"
            guard !kept.contains("%"), URL(fileURLWithPath: kept).standardizedFileURL.path.hasPrefix(ownRoots) else {
                throw ImageGateError.badInput("\(TerminalText.sanitize(uri)): the embedded root is not one of \(state.libvirtRoot)")
            }
            _ = try await AcceleratorProbe.thisMachine(state: state).chooseOnce()
            root = try await EmbeddedRoot.claim(exactly: kept)
        } else {
            _ = try await AcceleratorProbe.thisMachine(state: state).chooseOnce()
            // Roots holding kept runs stay free for `imagegate console|stop`.
            root = try EmbeddedRoot.claim(in: state.libvirtRoot, avoiding: Set(KeptRun.all(state: state).compactMap(\.embeddedRoot)))
        }
        try EmbeddedRoot.shareCapabilitiesCache(root: root, shared: state.libvirtRoot + "/capabilities")
        try EmbeddedRoot.writeQEMUConfiguration(root: root)
        return LibvirtHost(connection: try await Connection.open(Connection.embeddedURI(root: root)))
    }

    /// Runs `body` with a host from ``connect(_:state:)``, whose connection
    /// is closed after however `body` ends.
    public static func with<T>(_ uri: String? = nil, state: StateDirectory = .default,
                               _ body: (LibvirtHost) async throws -> T) async throws -> T {
        let host = try await connect(uri, state: state)
        do {
            let value = try await body(host)
            await host.connection.close()
            return value
        } catch {
            await host.connection.close()
            throw error
        }
    }

    /// Whether `uri` addresses libvirt's embedded driver, whose guests run
    /// on this machine as children of this process.
    public static func isEmbedded(_ uri: String) -> Bool {
        uri.hasPrefix("qemu:///embed")
    }

    public init(connection: Connection, pool: RemoteVolumeStore? = nil) {
        self.connection = connection
        self.pool = pool
    }

    public func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance {
        let domain = try await connection.createTransient(xml: xml, paused: paused)
        ChildReaper.reap(guest: domain.name)
        return domain
    }

    public func instances(prefix: String) async throws -> [any VirtualMachineInstance] {
        try await connection.domains(prefix: prefix)
    }

    public func offersKVM() async throws -> Bool {
        try await connection.capabilities().contains("<domain type='kvm'")
    }
}

extension ConsoleStream: ConsoleChannel {}

extension Domain: VirtualMachineInstance {
    public func openConsole() async throws -> any ConsoleChannel {
        let stream: ConsoleStream = try await openConsole()
        return stream
    }

    public func registers() async throws -> String? {
        try await humanMonitor("info registers")
    }

    public func isRunning() async throws -> Bool {
        switch try await state() {
        case .running, .blocked, .paused, .shuttingDown, .suspended: return true
        case .noState, .shutOff, .crashed: return false
        }
    }
}

import Foundation
import Libvirt

/// ``VirtualMachineHost`` backed by a libvirt connection.
public struct LibvirtHost: VirtualMachineHost {
    public let connection: Connection
    public var uri: String { connection.uri }

    /// Connects to `uri`, or by default to libvirt's embedded QEMU driver
    /// rooted in ImageGate's state folder (no daemon needed).
    public static func connect(_ uri: String? = nil, state: StateDirectory = .default) async throws -> LibvirtHost {
        let uri = try uri ?? Connection.embeddedURI(root: state.libvirtRoot)
        return LibvirtHost(connection: try await Connection.open(uri))
    }

    public init(connection: Connection) {
        self.connection = connection
    }

    public func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance {
        try await connection.createTransient(xml: xml, paused: paused)
    }

    public func instances(prefix: String) async throws -> [any VirtualMachineInstance] {
        try await connection.domains(prefix: prefix)
    }

    public func offersKVM() async throws -> Bool {
        try await connection.capabilities().contains("<domain type='kvm'")
    }
}

extension Domain: VirtualMachineInstance {
    public func isRunning() async throws -> Bool {
        switch try await state() {
        case .running, .blocked, .paused, .shuttingDown, .suspended: return true
        case .noState, .shutOff, .crashed: return false
        }
    }
}

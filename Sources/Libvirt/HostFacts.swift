import CLibvirt
import Foundation

/// What a host is: its name, libvirt's and the hypervisor's versions,
/// its CPUs and memory.
extension Connection {
    /// libvirt's version on the host (the daemon's, for a remote URI), as
    /// `major.minor.micro`.
    public func libvirtVersion() async throws -> String {
        try await queue.run { [self] in
            var version: UInt = 0
            try check("virConnectGetLibVersion") { virConnectGetLibVersion(pointer, &version) }
            return Self.dotted(version)
        }
    }

    /// The hypervisor's version (QEMU's), as `major.minor.micro`.
    public func hypervisorVersion() async throws -> String {
        try await queue.run { [self] in
            var version: UInt = 0
            try check("virConnectGetVersion") { virConnectGetVersion(pointer, &version) }
            return Self.dotted(version)
        }
    }

    /// The host's name as libvirt reports it.
    public func hostname() async throws -> String {
        try await queue.run { [self] in
            let name = try check("virConnectGetHostname") { virConnectGetHostname(pointer) }
            defer { free(name) }
            return String(cString: name)
        }
    }

    static func dotted(_ version: UInt) -> String {
        "\(version / 1_000_000).\(version / 1000 % 1000).\(version % 1000)"
    }

    /// The host's CPUs and memory (KiB), from `virNodeGetInfo`.
    public func nodeInfo() async throws -> (cpus: Int, memoryKiB: UInt64) {
        try await queue.run { [self] in
            var info = virNodeInfo()
            try check("virNodeGetInfo") { virNodeGetInfo(pointer, &info) }
            return (Int(info.cpus), UInt64(info.memory))
        }
    }
}

import CLibvirt
import Foundation

/// A libvirt domain. The only owner of its `virDomainPtr`, freed when the
/// value goes away (the domain itself keeps running until destroyed).
public final class Domain: ConnectionObject, @unchecked Sendable {
    init(pointer: OpaquePointer, connection: Connection) {
        super.init(pointer: pointer, connection: connection) { _ = virDomainFree($0) }
    }

    /// Where a domain is in its life.
    public enum State: String, Sendable {
        case noState = "no state", running, blocked, paused, shuttingDown = "shutting down"
        case shutOff = "shut off", crashed, suspended
    }

    /// The domain's name.
    public var name: String {
        // virDomainGetName reads the handle's own copy: no hypervisor call.
        virDomainGetName(pointer).map { String(cString: $0) } ?? ""
    }

    /// Lets a domain started paused run.
    public func resume() async throws {
        try await connection.queue.run { [self] in
            try check("virDomainResume") { virDomainResume(pointer) }
        }
    }

    /// Stops the domain at once (a transient domain is then gone). A
    /// transient domain that has already ended is not an error.
    public func destroy() async throws {
        try await connection.queue.run { [self] in
            do {
                try check("virDomainDestroy") { virDomainDestroy(pointer) }
            } catch let error as LibvirtError where error.isNoDomain {}
        }
    }

    /// Presses `keys` together on the guest's keyboard (Linux input key
    /// codes, `linux/input-event-codes.h`) and releases them after
    /// `holdMilliseconds`.
    public func sendKeys(_ keys: [UInt32], holdMilliseconds: UInt32 = 100) async throws {
        try await connection.queue.run { [self] in
            var codes = keys.map { UInt32($0) }
            try check("virDomainSendKey") {
                virDomainSendKey(pointer, UInt32(VIR_KEYCODE_SET_LINUX.rawValue), holdMilliseconds, &codes, Int32(codes.count), 0)
            }
        }
    }

    /// The domain's current state. A transient domain that has ended (shut
    /// off, crashed with `on_crash` destroy) no longer exists: shut off.
    public func state() async throws -> State {
        try await connection.queue.run { [self] in
            var state: Int32 = 0
            var reason: Int32 = 0
            do {
                try check("virDomainGetState") { virDomainGetState(pointer, &state, &reason, 0) }
            } catch let error as LibvirtError where error.isNoDomain {
                return .shutOff
            }
            switch UInt32(state) {
            case VIR_DOMAIN_RUNNING.rawValue: return .running
            case VIR_DOMAIN_BLOCKED.rawValue: return .blocked
            case VIR_DOMAIN_PAUSED.rawValue: return .paused
            case VIR_DOMAIN_SHUTDOWN.rawValue: return .shuttingDown
            case VIR_DOMAIN_SHUTOFF.rawValue: return .shutOff
            case VIR_DOMAIN_CRASHED.rawValue: return .crashed
            case VIR_DOMAIN_PMSUSPENDED.rawValue: return .suspended
            default: return .noState
            }
        }
    }

    /// The live domain XML, as libvirt completed it (PCI addresses, paths).
    public func xml() async throws -> String {
        try await connection.queue.run { [self] in
            let xml = try check("virDomainGetXMLDesc") { virDomainGetXMLDesc(pointer, 0) }
            defer { free(xml) }
            return String(cString: xml)
        }
    }

    /// The answer of QEMU's human monitor to `command` (`info registers`),
    /// at most `limit` bytes of it. libvirt marks the domain tainted
    /// (custom-monitor) once asked.
    public func humanMonitor(_ command: String, limit: Int = 64 << 10) async throws -> String {
        try await connection.queue.run { [self] in
            var result: UnsafeMutablePointer<CChar>?
            try check("virDomainQemuMonitorCommand") {
                virDomainQemuMonitorCommand(pointer, command, &result, UInt32(VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP.rawValue))
            }
            defer { free(result) }
            guard let result else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: result, count: strnlen(result, limit)), as: UTF8.self)
        }
    }
}

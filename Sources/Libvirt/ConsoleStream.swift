import CLibvirt
import Foundation

/// A domain's serial console as a libvirt stream (`virDomainOpenConsole`):
/// what the guest prints, and what is typed into it. Non-blocking: both
/// directions answer at once, so one loop can serve a terminal without
/// holding libvirt's stream lock in a blocking read. The only owner of its
/// `virStreamPtr`, aborted and freed by ``close()`` or when it goes away.
public final class ConsoleStream: @unchecked Sendable {
    private let pointer: OpaquePointer
    private let lock = NSLock()
    private var open = true
    /// Keeps the connection (and the domain handle) alive with the stream.
    private let domain: Domain

    init(pointer: OpaquePointer, domain: Domain) {
        self.pointer = pointer
        self.domain = domain
    }

    deinit { close() }

    /// Up to `limit` bytes the guest printed: empty when nothing is waiting
    /// now, nil once the console closed (the VM stopped, or another client
    /// took it over).
    public func receive(limit: Int = 4096) throws -> [UInt8]? {
        try lock.withLock {
            guard open else { return nil }
            var buffer = [UInt8](repeating: 0, count: limit)
            virResetLastError()
            let count = buffer.withUnsafeMutableBufferPointer { virStreamRecv(pointer, $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: limit) { $0 }, limit) }
            switch count {
            case -2: return []
            case 0: return nil
            case ..<0: throw LibvirtError.last("virStreamRecv")
            default: return Array(buffer.prefix(Int(count)))
            }
        }
    }

    /// Types `bytes` into the console; returns how many were taken (0 when
    /// the stream cannot take more right now).
    public func send(_ bytes: [UInt8]) throws -> Int {
        guard !bytes.isEmpty else { return 0 }
        return try lock.withLock {
            guard open else { throw LibvirtError(code: -1, domain: -1, message: "the console is closed", operation: "virStreamSend") }
            virResetLastError()
            let count = bytes.withUnsafeBufferPointer { virStreamSend(pointer, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), bytes.count) }
            if count == -2 { return 0 }
            if count < 0 { throw LibvirtError.last("virStreamSend") }
            return Int(count)
        }
    }

    /// Lets go of the console (the guest keeps running). Safe to call twice.
    public func close() {
        lock.withLock {
            guard open else { return }
            open = false
            _ = virStreamAbort(pointer)
            _ = virStreamFree(pointer)
        }
    }
}

extension Domain {
    /// The domain's first serial console, taken over from any other client
    /// (`VIR_DOMAIN_CONSOLE_FORCE`) so a console left open by a killed
    /// process does not lock support out.
    public func openConsole() async throws -> ConsoleStream {
        let stream = try await connection.queue.run { [self] in
            let stream = try check("virStreamNew") { virStreamNew(connection.pointer, UInt32(VIR_STREAM_NONBLOCK.rawValue)) }
            do {
                try check("virDomainOpenConsole") { virDomainOpenConsole(pointer, nil, stream, UInt32(VIR_DOMAIN_CONSOLE_FORCE.rawValue)) }
            } catch {
                virStreamFree(stream)
                throw error
            }
            return stream.sendable
        }
        return ConsoleStream(pointer: stream.value, domain: self)
    }

    /// Asks the guest to reboot through ACPI (the power button; libvirt
    /// restarts the VM once the guest has shut down), as a platform's
    /// "reboot" does. The guest's own shutdown runs first.
    public func reboot() async throws {
        try await connection.queue.run { [self] in
            try check("virDomainReboot") { virDomainReboot(pointer, UInt32(VIR_DOMAIN_REBOOT_ACPI_POWER_BTN.rawValue)) }
        }
    }
}

import CLibvirt
import Foundation
import SerialQueue

/// An open libvirt connection. The only owner of its `virConnectPtr`. Its
/// owner closes it at a visible point (``close()``, or
/// ``withConnection(_:_:)``'s scope); one nobody closed is closed when the
/// last reference (including every `Domain` from it) goes away.
///
/// Every call runs on the connection's own serial thread.
public final class Connection: @unchecked Sendable {
    let pointer: OpaquePointer
    let queue: SerialQueue
    /// The URI this connection was opened with.
    public let uri: String
    /// Set by ``close()``; touched only on the queue.
    private var closed = false

    private init(pointer: OpaquePointer, queue: SerialQueue, uri: String) {
        self.pointer = pointer
        self.queue = queue
        self.uri = uri
    }

    deinit {
        // Asynchronous: the last reference may go away on the queue itself.
        let pointer = Handle(value: self.pointer)
        if !closed { queue.async { _ = virConnectClose(pointer.value) } }
    }

    /// Closes the connection (this reference to it: domains still holding
    /// one keep libvirt's side open until they go). Safe to call twice;
    /// later calls on it fail.
    public func close() async {
        // Closing: a connection libvirt already lost has nothing left to close.
        _ = try? await queue.run { [self] in
            guard !closed else { return }
            closed = true
            _ = virConnectClose(pointer)
        }
    }

    /// Throws when ``close()`` ran: the pointer is no longer this connection's.
    private func ensureOpen() throws {
        if closed { throw LibvirtError(code: -1, domain: -1, message: "the connection to \(uri) is closed", operation: "use after close") }
    }

    /// Runs `body` with a connection to `uri`, closed after however `body` ends.
    public static func withConnection<T>(_ uri: String, _ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await open(uri)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Opens `uri`, e.g. `qemu:///system`, `qemu+ssh://host/system` or an
    /// embedded driver URI from ``embeddedURI(root:)``.
    public static func open(_ uri: String) async throws -> Connection {
        try EventLoop.start()
        let queue = SerialQueue(label: "libvirt \(uri)")
        let pointer = try await queue.run {
            try check("virConnectOpen(\(uri))") { virConnectOpen(uri) }.sendable
        }
        return Connection(pointer: pointer.value, queue: queue, uri: uri)
    }

    /// Asks a remote connection's daemon to answer a ping every `interval`
    /// seconds; after `count` unanswered ones libvirt closes the connection,
    /// and every call or stream on it fails instead of waiting for ever.
    /// Drivers that run in this process (the embedded one) have no such
    /// thing: the call fails there.
    public func setKeepAlive(interval: Int32, count: UInt32) async throws {
        try await queue.run { [self] in
            try ensureOpen()
            try check("virConnectSetKeepAlive") { virConnectSetKeepAlive(pointer, interval, count) }
        }
    }

    /// The URI of libvirt's embedded QEMU driver rooted at `root`, which
    /// needs no daemon: the driver runs inside this process and reads its
    /// settings from `root/etc/qemu.conf`, which the caller writes.
    public static func embeddedURI(root: String) -> String {
        "qemu:///embed?root=" + root
    }

    /// Starts a transient domain from its XML. With `paused`, its vCPUs do
    /// not run until ``Domain/resume()``.
    public func createTransient(xml: String, paused: Bool = false) async throws -> Domain {
        let flags = paused ? VIR_DOMAIN_START_PAUSED.rawValue : 0
        let domain = try await queue.run { [self] in
            try ensureOpen()
            return try check("virDomainCreateXML") { virDomainCreateXML(pointer, xml, flags) }.sendable
        }
        return Domain(pointer: domain.value, connection: self)
    }

    /// The domain called `name`, or nil when there is none.
    public func lookup(name: String) async throws -> Domain? {
        let found = try await queue.run { [self] () -> Handle? in
            try ensureOpen()
            return try Libvirt.lookup("virDomainLookupByName(\(name))", notFound: VIR_ERR_NO_DOMAIN) { virDomainLookupByName(pointer, name) }
        }
        return found.map { Domain(pointer: $0.value, connection: self) }
    }

    /// Every domain (running or defined) whose name starts with `prefix`.
    public func domains(prefix: String = "") async throws -> [Domain] {
        let handles = try await queue.run { [self] () -> [Handle] in
            try ensureOpen()
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = try check("virConnectListAllDomains") {
                virConnectListAllDomains(pointer, &list, 0)
            }
            defer { free(list) }
            var kept: [Handle] = []
            for index in 0..<Int(count) {
                guard let domain = list?[index] else { continue }
                let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
                if name.hasPrefix(prefix) { kept.append(domain.sendable) } else { virDomainFree(domain) }
            }
            return kept
        }
        return handles.map { Domain(pointer: $0.value, connection: self) }
    }

    /// The hypervisor's capabilities XML (`virConnectGetCapabilities`).
    public func capabilities() async throws -> String {
        try await queue.run { [self] in
            try ensureOpen()
            let xml = try check("virConnectGetCapabilities") { virConnectGetCapabilities(pointer) }
            defer { free(xml) }
            return String(cString: xml)
        }
    }
}

/// A C handle carried across the serial queue's boundary. Only the queue
/// touches the pointer; this box exists to satisfy `Sendable`.
struct Handle: @unchecked Sendable {
    let value: OpaquePointer
}

extension OpaquePointer {
    var sendable: Handle { Handle(value: self) }
}

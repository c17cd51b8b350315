import CLibvirt
import Foundation

/// A libvirt object of one connection (a domain, a pool, a volume): the
/// only owner of its pointer, freed on the connection's queue when the value
/// goes away (the last reference may go away on that queue itself, so the
/// free is asynchronous). It keeps the connection open until then.
public class ConnectionObject: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Keeps the connection open while the object's handle lives.
    public let connection: Connection
    private let free: @Sendable (OpaquePointer) -> Void

    init(pointer: OpaquePointer, connection: Connection, free: @escaping @Sendable (OpaquePointer) -> Void) {
        self.pointer = pointer
        self.connection = connection
        self.free = free
    }

    deinit {
        let pointer = Handle(value: self.pointer), connection = self.connection, free = self.free
        connection.queue.async { free(pointer.value); _ = connection }
    }
}

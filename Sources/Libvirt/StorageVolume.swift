import CLibvirt
import Foundation

/// A volume in a libvirt storage pool. The only owner of its
/// `virStorageVolPtr`, freed when the value goes away.
public final class StorageVolume: ConnectionObject, @unchecked Sendable {
    init(pointer: OpaquePointer, connection: Connection) {
        super.init(pointer: pointer, connection: connection) { _ = virStorageVolFree($0) }
    }

    public var name: String {
        virStorageVolGetName(pointer).map { String(cString: $0) } ?? ""
    }

    /// Where the volume is on its host (a `dir` pool: the file's path).
    public func path() async throws -> String {
        try await connection.queue.run { [self] in
            let path = try check("virStorageVolGetPath") { virStorageVolGetPath(pointer) }
            defer { free(path) }
            return String(cString: path)
        }
    }

    /// Bytes: the volume's size as its reader sees it, and what it takes on disk.
    public func info() async throws -> (capacity: UInt64, allocation: UInt64) {
        try await connection.queue.run { [self] in
            var info = virStorageVolInfo()
            try check("virStorageVolGetInfo") { virStorageVolGetInfo(pointer, &info) }
            return (info.capacity, info.allocation)
        }
    }

    /// The volume's XML as its host describes it now (format, capacity,
    /// permissions, and for a file its timestamps in the host's clock).
    public func xmlDescription() async throws -> String {
        try await connection.queue.run { [self] in
            let xml = try check("virStorageVolGetXMLDesc") { virStorageVolGetXMLDesc(pointer, 0) }
            defer { free(xml) }
            return String(cString: xml)
        }
    }

    public func delete() async throws {
        try await connection.queue.run { [self] in
            try check("virStorageVolDelete") { virStorageVolDelete(pointer, 0) }
        }
    }

    /// Writes `length` bytes into the volume from its first byte, asking
    /// `read` for each chunk (a chunk shorter than asked for only at the
    /// end). The stream blocks this connection's thread until done: give
    /// an upload a connection of its own.
    public func upload(length: UInt64, chunk: Int = 1 << 20, read: @escaping @Sendable (Int) throws -> [UInt8]) async throws {
        try await connection.queue.run { [self] in
            let stream = try check("virStreamNew") { virStreamNew(connection.pointer, 0) }
            defer { virStreamFree(stream) }
            try check("virStorageVolUpload") { virStorageVolUpload(pointer, stream, 0, length, 0) }
            var sent: UInt64 = 0
            do {
                while sent < length {
                    let bytes = try read(Int(min(UInt64(chunk), length - sent)))
                    guard !bytes.isEmpty else { throw LibvirtError(code: -1, domain: -1, message: "the source ended after \(sent) of \(length) bytes", operation: "virStorageVolUpload") }
                    var offset = 0
                    while offset < bytes.count {
                        let count = bytes.withUnsafeBufferPointer { buffer in
                            virStreamSend(stream, UnsafeRawPointer(buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self), bytes.count - offset)
                        }
                        if count < 0 { throw LibvirtError.last("virStreamSend") }
                        offset += Int(count)
                    }
                    sent += UInt64(bytes.count)
                }
                try check("virStreamFinish") { virStreamFinish(stream) }
            } catch {
                virStreamAbort(stream)
                throw error
            }
        }
    }

    /// Reads the volume's `length` bytes from `offset` (0: to its end),
    /// handing each chunk to `consume`. Blocks this connection's thread
    /// until done.
    public func download(offset: UInt64 = 0, length: UInt64 = 0, consume: @escaping @Sendable ([UInt8]) throws -> Void) async throws {
        try await connection.queue.run { [self] in
            let stream = try check("virStreamNew") { virStreamNew(connection.pointer, 0) }
            defer { virStreamFree(stream) }
            try check("virStorageVolDownload") { virStorageVolDownload(pointer, stream, offset, length, 0) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let count = buffer.withUnsafeMutableBufferPointer { virStreamRecv(stream, UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
                    if count < 0 { throw LibvirtError.last("virStreamRecv") }
                    if count == 0 { break }
                    try consume(Array(buffer.prefix(Int(count))))
                }
                try check("virStreamFinish") { virStreamFinish(stream) }
            } catch {
                virStreamAbort(stream)
                throw error
            }
        }
    }
}

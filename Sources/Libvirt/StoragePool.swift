import CLibvirt
import Foundation

/// A libvirt storage pool on the connection's host. The only owner of its
/// `virStoragePoolPtr`, freed when the value goes away.
public final class StoragePool: ConnectionObject, @unchecked Sendable {
    init(pointer: OpaquePointer, connection: Connection) {
        super.init(pointer: pointer, connection: connection) { _ = virStoragePoolFree($0) }
    }

    /// Bytes: the pool's size, what its volumes take, and what is free.
    public struct Info: Sendable, Equatable {
        public var capacity: UInt64
        public var allocation: UInt64
        public var available: UInt64
        public var active: Bool
    }

    public var name: String {
        virStoragePoolGetName(pointer).map { String(cString: $0) } ?? ""
    }

    public func info() async throws -> Info {
        try await connection.queue.run { [self] in
            var info = virStoragePoolInfo()
            try check("virStoragePoolGetInfo") { virStoragePoolGetInfo(pointer, &info) }
            return Info(capacity: info.capacity, allocation: info.allocation, available: info.available,
                        active: info.state == VIR_STORAGE_POOL_RUNNING.rawValue)
        }
    }

    /// Starts an inactive pool (a `dir` pool's folder must exist: ``build()``).
    public func start() async throws {
        try await connection.queue.run { [self] in
            try check("virStoragePoolCreate") { virStoragePoolCreate(pointer, 0) }
        }
    }

    /// Makes the pool's storage (a `dir` pool: its folder), if missing.
    public func build() async throws {
        try await connection.queue.run { [self] in
            try check("virStoragePoolBuild") { virStoragePoolBuild(pointer, 0) }
        }
    }

    public func setAutostart(_ on: Bool) async throws {
        try await connection.queue.run { [self] in
            try check("virStoragePoolSetAutostart") { virStoragePoolSetAutostart(pointer, on ? 1 : 0) }
        }
    }

    /// Re-reads the pool's volumes from its storage.
    public func refresh() async throws {
        try await connection.queue.run { [self] in
            try check("virStoragePoolRefresh") { virStoragePoolRefresh(pointer, 0) }
        }
    }

    /// Every volume in the pool.
    public func volumes() async throws -> [StorageVolume] {
        let handles = try await connection.queue.run { [self] () -> [Handle] in
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = try check("virStoragePoolListAllVolumes") { virStoragePoolListAllVolumes(pointer, &list, 0) }
            defer { free(list) }
            return (0..<Int(count)).compactMap { list?[$0]?.sendable }
        }
        return handles.map { StorageVolume(pointer: $0.value, connection: connection) }
    }

    /// The volume called `name`, or nil when there is none.
    public func volume(named name: String) async throws -> StorageVolume? {
        let found = try await connection.queue.run { [self] () -> Handle? in
            try Libvirt.lookup("virStorageVolLookupByName(\(name))", notFound: VIR_ERR_NO_STORAGE_VOL) { virStorageVolLookupByName(pointer, name) }
        }
        return found.map { StorageVolume(pointer: $0.value, connection: connection) }
    }

    /// Creates a volume from its XML (`virStorageVolCreateXML`).
    public func createVolume(xml: String) async throws -> StorageVolume {
        let volume = try await connection.queue.run { [self] in
            try check("virStorageVolCreateXML") { virStorageVolCreateXML(pointer, xml, 0) }.sendable
        }
        return StorageVolume(pointer: volume.value, connection: connection)
    }
}

extension Connection {
    /// The storage pool called `name`, or nil when there is none.
    public func storagePool(named name: String) async throws -> StoragePool? {
        let found = try await queue.run { [self] () -> Handle? in
            try Libvirt.lookup("virStoragePoolLookupByName(\(name))", notFound: VIR_ERR_NO_STORAGE_POOL) { virStoragePoolLookupByName(pointer, name) }
        }
        return found.map { StoragePool(pointer: $0.value, connection: self) }
    }

    /// Defines a persistent pool from its XML (not yet built or started).
    public func defineStoragePool(xml: String) async throws -> StoragePool {
        let pool = try await queue.run { [self] in
            try check("virStoragePoolDefineXML") { virStoragePoolDefineXML(pointer, xml, 0) }.sendable
        }
        return StoragePool(pointer: pool.value, connection: self)
    }
}

import CGuestfs
import Foundation

/// The registry through libguestfs's `hivex_*` calls: a hive file of the
/// mounted guest is opened read-only inside the appliance and walked there;
/// nothing of it is copied out. One hive is open at a time per handle.
extension Handle {
    /// Opens the hive at `path` (a path in the mounted guest), read-only,
    /// closing the one open before.
    public func hivexOpen(_ path: String) async throws {
        try await run { h in
            try h.call("hivex_open \(path)") { g in
                var options = guestfs_hivex_open_argv()
                options.bitmask = 1 << 2  // WRITE
                options.write = 0
                return guestfs_hivex_open_argv(g, path, &options)
            }
        }
    }

    public func hivexClose() async throws {
        try await run { h in try h.call("hivex_close") { guestfs_hivex_close($0) } }
    }

    public func hivexRoot() async throws -> HiveNode {
        try await run { h in HiveNode(handle: try h.call("hivex_root") { g -> Int64? in Self.valid(guestfs_hivex_root(g)) }) }
    }

    /// The child key called `name` (case-insensitive, as Windows matches), or nil.
    public func hivexChild(_ node: HiveNode, named name: String) async throws -> HiveNode? {
        try await run { h in
            let child = try h.call("hivex_node_get_child \(name)") { g -> Int64? in Self.valid(guestfs_hivex_node_get_child(g, node.handle, name)) }
            return child == 0 ? nil : HiveNode(handle: child)
        }
    }

    public func hivexChildren(_ node: HiveNode) async throws -> [HiveNode] {
        try await run { h in
            let list = try h.call("hivex_node_children") { guestfs_hivex_node_children($0, node.handle) }
            defer { guestfs_free_hivex_node_list(list) }
            return (0..<Int(list.pointee.len)).map { HiveNode(handle: list.pointee.val[$0].hivex_node_h) }
        }
    }

    public func hivexName(_ node: HiveNode) async throws -> String {
        try await run { h in CStrings.take(try h.call("hivex_node_name") { guestfs_hivex_node_name($0, node.handle) }) }
    }

    /// The value called `name` of `node` (case-insensitive), or nil.
    public func hivexValue(_ node: HiveNode, named name: String) async throws -> HiveValueHandle? {
        try await run { h in
            let value = try h.call("hivex_node_get_value \(name)") { g -> Int64? in Self.valid(guestfs_hivex_node_get_value(g, node.handle, name)) }
            return value == 0 ? nil : HiveValueHandle(handle: value)
        }
    }

    /// The value's data, decoded by its type.
    public func hivexData(_ value: HiveValueHandle) async throws -> RegistryValue {
        try await run { h in
            let type = try h.call("hivex_value_type") { g -> Int64? in Self.valid(guestfs_hivex_value_type(g, value.handle)) }
            var size = 0
            let data = try h.call("hivex_value_value") { guestfs_hivex_value_value($0, value.handle, &size) }
            defer { free(data) }
            let bytes = data.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
            return RegistryValue(type: type, bytes: bytes)
        }
    }

    /// -1 is libguestfs's error return for calls that return a number.
    private static func valid(_ value: Int64) -> Int64? { value == -1 ? nil : value }
}

import CGuestfs
import Foundation

/// What libguestfs's inspection adds for a Windows root.
public struct WindowsInspection: Sendable, Equatable {
    /// `/Windows`, as the filesystem spells it.
    public let systemRoot: String
    /// `Server`, `Client` or `unknown` (the registry's InstallationType).
    public let productVariant: String
    /// `ControlSet001`: the control set `HKLM\SYSTEM\Select\Current` names.
    public let currentControlSet: String
    /// Drive letter → device (`C` → `/dev/sda2`), from `MountedDevices`.
    public let driveMappings: [String: String]
    public let architecture: String
}

extension Handle {
    public func inspectWindows(root: String) async throws -> WindowsInspection {
        try await run { h in
            func string(_ name: String, _ f: (OpaquePointer?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?) throws -> String {
                CStrings.take(try h.call("inspect_get_\(name) \(root)") { f($0, root) })
            }
            let mappings = CStrings.takePairs(try h.call("inspect_get_drive_mappings \(root)") { guestfs_inspect_get_drive_mappings($0, root) })
            return WindowsInspection(
                systemRoot: try string("windows_systemroot", guestfs_inspect_get_windows_systemroot),
                productVariant: try string("product_variant", guestfs_inspect_get_product_variant),
                // Not every hive names one: empty.
                currentControlSet: (try? string("windows_current_control_set", guestfs_inspect_get_windows_current_control_set)) ?? "",
                driveMappings: Dictionary(mappings) { first, _ in first },
                architecture: try string("arch", guestfs_inspect_get_arch))
        }
    }
}

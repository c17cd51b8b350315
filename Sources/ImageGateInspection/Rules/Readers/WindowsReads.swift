import Guestfs
import ImageGateModel

/// What several Windows rules read: services, installed programs, files on
/// C: and the Windows version, each with the evidence that names the
/// registry key and value or the file.
enum WindowsReads {
    /// The registry, which every Windows rule needs.
    struct NoRegistry: Error, CustomStringConvertible {
        var description: String { "the image's registry was not opened (not a Windows image?)" }
    }

    static func registry(_ context: RuleContext) throws -> any WindowsRegistry {
        guard let registry = context.registry else { throw NoRegistry() }
        return registry
    }

    /// Windows Server 2016 or later (NT 10.0, Server).
    static func isServer2016OrLater(_ facts: OSFacts) -> Bool {
        facts.majorVersion >= 10 && (facts.windows?.productVariant ?? "").lowercased() == "server"
    }

    /// A service: its key, and whether its Start value disables it (4).
    struct Service {
        var key: RegistryKey
        var start: UInt64?
        var imagePath: String?
        var disabled: Bool { start == 4 }
    }

    static func service(_ name: String, _ registry: any WindowsRegistry) async throws -> Service? {
        let key = RegistryKey.system("CurrentControlSet\\Services\\\(name)")
        guard try await registry.exists(key) else { return nil }
        return Service(key: key, start: try await registry.value(key, "Start")?.number,
                       imagePath: try await registry.value(key, "ImagePath")?.text)
    }

    static func serviceEvidence(_ name: String, _ service: Service?, _ registry: any WindowsRegistry) -> Evidence {
        guard let service else { return Evidence(path: registry.describe(.system("CurrentControlSet\\Services\\\(name)")), "absent") }
        let start = service.start.map { "Start = \($0)\($0 == 4 ? " (disabled)" : "")" } ?? "no Start value"
        return Evidence(path: registry.describe(service.key), start)
    }

    static let uninstallKeys = [
        RegistryKey.software("Microsoft\\Windows\\CurrentVersion\\Uninstall"),
        RegistryKey.software("WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"),
    ]

    /// Installed programs whose DisplayName contains `name` (any case):
    /// the key and the name.
    static func installedPrograms(matching name: String, _ registry: any WindowsRegistry) async throws -> [(key: RegistryKey, displayName: String)] {
        var found: [(RegistryKey, String)] = []
        for parent in uninstallKeys {
            for subkey in try await registry.subkeys(parent) ?? [] {
                let key = parent.child(subkey)
                if let display = try await registry.value(key, "DisplayName")?.text, display.lowercased().contains(name.lowercased()) {
                    found.append((key, display))
                }
            }
        }
        return found
    }

    /// A path of C: (`/Program Files/…`, any case), as the filesystem spells it.
    static func find(_ path: String, _ context: RuleContext) async throws -> String? {
        try await WindowsPath.find(path, in: context.fs)
    }

    /// `%SystemRoot%` on C: (`/Windows`).
    static func systemRoot(_ context: RuleContext) -> String { context.facts.windows?.systemRoot ?? "/Windows" }
}

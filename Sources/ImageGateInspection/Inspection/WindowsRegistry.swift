import Foundation
import Guestfs
import ImageGateModel

/// A key of the machine's registry (`HKLM\…`): a hive and the path below
/// its root. `CurrentControlSet` in a SYSTEM path stands for the control
/// set `Select\Current` names, as it does on a running Windows.
public struct RegistryKey: Sendable, Hashable, CustomStringConvertible {
    public enum Hive: String, Sendable, CaseIterable {
        case system = "SYSTEM", software = "SOFTWARE", sam = "SAM"
    }

    public var hive: Hive
    public var path: [String]

    public init(_ hive: Hive, _ path: String) {
        self.hive = hive
        self.path = path.split(separator: "\\").map(String.init)
    }

    public static func system(_ path: String) -> RegistryKey { RegistryKey(.system, path) }
    public static func software(_ path: String) -> RegistryKey { RegistryKey(.software, path) }
    public static func sam(_ path: String) -> RegistryKey { RegistryKey(.sam, path) }

    public func child(_ name: String) -> RegistryKey {
        var key = self
        key.path.append(name)
        return key
    }

    public var description: String { (["HKLM", hive.rawValue] + path).joined(separator: "\\") }

    /// The same key with `CurrentControlSet` replaced by `controlSet`.
    func resolving(_ controlSet: String) -> RegistryKey {
        guard hive == .system, path.first?.lowercased() == "currentcontrolset", !controlSet.isEmpty else { return self }
        var key = self
        key.path[0] = controlSet
        return key
    }
}

/// What the Windows rules read from the registry.
public protocol WindowsRegistry: Sendable {
    /// What `CurrentControlSet` stands for (`ControlSet001`).
    var currentControlSet: String { get }
    /// The value `name` of `key`; nil when the key or the value is absent.
    func value(_ key: RegistryKey, _ name: String) async throws -> RegistryValue?
    /// The names of `key`'s subkeys; nil when the key is absent.
    func subkeys(_ key: RegistryKey) async throws -> [String]?
}

extension WindowsRegistry {
    public func exists(_ key: RegistryKey) async throws -> Bool { try await subkeys(key) != nil }

    /// `HKLM\SYSTEM\ControlSet001\…`: the key as the evidence names it.
    public func describe(_ key: RegistryKey) -> String { key.resolving(currentControlSet).description }
}

/// The registry of the mounted guest, read through libguestfs's hivex calls
/// in the appliance (``Handle/hivexOpen(_:)``). One hive is open at a time;
/// a hive file that is missing, not a regular file or over the size limit
/// makes every read of that hive an error (the rule reading it then could
/// not check).
actor GuestfsRegistry: WindowsRegistry {
    private let handle: Handle
    /// Hive → its file in the guest, or why it cannot be read.
    private let hives: [RegistryKey.Hive: Result<String, HiveUnreadable>]
    private var open: RegistryKey.Hive?
    nonisolated let currentControlSet: String

    init(handle: Handle, hives: [RegistryKey.Hive: Result<String, HiveUnreadable>], currentControlSet: String) {
        self.handle = handle
        self.hives = hives
        self.currentControlSet = currentControlSet
    }

    /// Finds the hives under `systemRoot/System32/config` (names matched
    /// case-insensitively, as Windows does).
    static func open(handle: Handle, fs: any GuestFilesystem, systemRoot: String, currentControlSet: String,
                     limit: Int64) async -> GuestfsRegistry {
        var hives: [RegistryKey.Hive: Result<String, HiveUnreadable>] = [:]
        for hive in RegistryKey.Hive.allCases {
            let wanted = systemRoot + "/System32/config/" + hive.rawValue
            // A hive the image lacks or hides is reported as missing, with what was found.
            guard let path = try? await WindowsPath.find(wanted, in: fs) else {
                hives[hive] = .failure(HiveUnreadable(description: "\(wanted): no such file"))
                continue
            }
            // A hive whose kind or size cannot be read is reported as found, with what is known.
            let kind = (try? await fs.kind(path)) ?? .missing
            let size = (try? await fs.size(path)) ?? nil
            if kind != .file {
                hives[hive] = .failure(HiveUnreadable(description: GuestFileProblem.notRegular(path: path, kind: kind).description))
            } else if let size, size > limit {
                hives[hive] = .failure(HiveUnreadable(description: GuestFileProblem.tooLarge(path: path, size: size, limit: limit).description))
            } else {
                hives[hive] = .success(path)
            }
        }
        return GuestfsRegistry(handle: handle, hives: hives, currentControlSet: currentControlSet)
    }

    private func node(_ key: RegistryKey) async throws -> HiveNode? {
        let key = key.resolving(currentControlSet)
        guard let file = hives[key.hive] else { return nil }
        let path = try file.get()
        if open != key.hive {
            try await handle.hivexOpen(path)
            open = key.hive
        }
        var node = try await handle.hivexRoot()
        for name in key.path {
            guard let child = try await handle.hivexChild(node, named: name) else { return nil }
            node = child
        }
        return node
    }

    func value(_ key: RegistryKey, _ name: String) async throws -> RegistryValue? {
        guard let node = try await node(key), let value = try await handle.hivexValue(node, named: name) else { return nil }
        return try await handle.hivexData(value)
    }

    /// Keys listed one name per appliance call: a key with more subkeys
    /// than this (a hostile hive) is not listed, and the rule reading it
    /// could not check. A real servicing store holds a few thousand.
    static let maxSubkeys = 16384

    func subkeys(_ key: RegistryKey) async throws -> [String]? {
        guard let node = try await node(key) else { return nil }
        let children = try await handle.hivexChildren(node)
        guard children.count <= Self.maxSubkeys else {
            throw HiveUnreadable(description: "\(describe(key)) has \(children.count) subkeys, more than the \(Self.maxSubkeys) ImageGate lists")
        }
        var names: [String] = []
        for child in children { names.append(try await handle.hivexName(child)) }
        return names
    }

    /// Closes the open hive (the appliance's memory for it).
    func close() async {
        guard open != nil else { return }
        open = nil
        do { try await handle.hivexClose() } catch { Log.warning("teardown: closing the registry hive failed: \(error)") }
    }
}

/// Why a hive cannot be read: missing, not a regular file, too large.
struct HiveUnreadable: Error, CustomStringConvertible {
    var description: String
}

/// Windows paths on the mounted C: drive, matched case-insensitively one
/// component at a time (NTFS keeps case; Windows ignores it).
enum WindowsPath {
    /// The path as the filesystem spells it, or nil when some component is absent.
    static func find(_ path: String, in fs: any GuestFilesystem) async throws -> String? {
        var found = ""
        for component in FileName.components(path) {
            let directory = found.isEmpty ? "/" : found
            guard let names = try await fs.list(directory) else { return nil }
            guard let match = names.first(where: { $0 == component }) ?? names.first(where: { $0.lowercased() == component.lowercased() }) else {
                return nil
            }
            found += "/" + match
        }
        return found.isEmpty ? "/" : found
    }

    /// `C:\bootstrap.bat` → `/bootstrap.bat`; nil for another drive.
    static func onSystemDrive(_ windowsPath: String) -> String? {
        let trimmed = windowsPath.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard trimmed.count >= 2, trimmed.lowercased().hasPrefix("c:") else { return nil }
        return String(trimmed.dropFirst(2)).replacingOccurrences(of: "\\", with: "/")
    }

    /// Text of a Windows file: UTF-16 (with or without BOM) or UTF-8,
    /// as `GuestFilesystem.read` decoded it as UTF-8: NULs and
    /// replacement characters (a UTF-16 BOM) dropped.
    static func text(_ read: String) -> String {
        guard read.contains("\0") || read.hasPrefix("\u{FFFD}") else { return read }
        return String(String.UnicodeScalarView(read.unicodeScalars.filter { $0 != "\0" && $0 != "\u{FFFD}" }))
    }
}

import Foundation
import ImageGateModel

/// Names of the VMs ImageGate starts. One prefix marks them all, so a run
/// can find and destroy what a crashed run left behind.
public enum VMName {
    public static let prefix = "imagegate-"

    /// A unique name: `imagegate-<purpose>-<pid>.<start time>-<random>`
    /// (a free-form purpose: the tests' own labels).
    public static func make(_ purpose: String) -> String {
        "\(prefix)\(purpose)-\(ProcessIdentity.current)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// What ImageGate starts VMs for, locally or on a remote host.
    public enum Purpose: String, CaseIterable, Sendable {
        case boot, probe
    }

    /// A unique name for `purpose`: on a shared remote host the name
    /// carries this machine's tag (`boot-<tag>`), so only this machine
    /// reaps it there.
    public static func make(_ purpose: Purpose, remote: Bool = false) -> String {
        make(remote ? purpose.rawValue + "-" + MachineTag.current : purpose.rawValue)
    }

    /// What the names of this machine's VMs on a remote host start with.
    package static var remotePrefixes: [String] { Purpose.allCases.map { prefix + $0.rawValue + "-" + MachineTag.current + "-" } }

    /// The machine tag in a remote purpose's name (`boot-<tag>`), if any.
    package static func machineTag(of name: String) -> String? {
        let parts = name.dropFirst(prefix.count).split(separator: "-")
        guard name.hasPrefix(prefix), parts.count >= 4 else { return nil }
        let tag = parts[parts.count - 3]
        return tag.count == 8 && tag.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) ? String(tag) : nil
    }

    /// Whether the owner in `name` is a process of this machine: a name
    /// another machine tagged belongs to a process there, whatever this
    /// machine's process table says of its ID (this machine may be a fleet
    /// host of another's).
    package static func isOwnedHere(_ name: String) -> Bool {
        machineTag(of: name).map { $0 == MachineTag.current } ?? true
    }

    /// The owning process encoded in a name, if it has one.
    public static func owner(of name: String) -> ProcessIdentity? {
        let parts = name.dropFirst(prefix.count).split(separator: "-")
        guard name.hasPrefix(prefix), parts.count >= 3 else { return nil }
        return ProcessIdentity(token: parts[parts.count - 2])
    }
}

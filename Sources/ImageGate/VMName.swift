import Foundation

/// Names of the VMs ImageGate starts. One prefix marks them all, so a run
/// can find and destroy what a crashed run left behind.
public enum VMName {
    public static let prefix = "imagegate-"

    /// A unique name: `imagegate-<purpose>-<pid>.<start time>-<random>`.
    public static func make(_ purpose: String) -> String {
        "\(prefix)\(purpose)-\(ProcessIdentity.current)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The owning process encoded in a name, if it has one.
    public static func owner(of name: String) -> ProcessIdentity? {
        let parts = name.dropFirst(prefix.count).split(separator: "-")
        guard name.hasPrefix(prefix), parts.count >= 3 else { return nil }
        return ProcessIdentity(token: parts[parts.count - 2])
    }
}

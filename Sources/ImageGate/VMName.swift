import Foundation

/// Names of the VMs ImageGate starts. One prefix marks them all, so a run
/// can find and destroy what a crashed run left behind.
public enum VMName {
    public static let prefix = "imagegate-"

    /// A unique name: `imagegate-<purpose>-<pid>-<random>`.
    public static func make(_ purpose: String) -> String {
        "\(prefix)\(purpose)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The process id encoded in a name, if it has one.
    public static func ownerPID(of name: String) -> Int32? {
        let parts = name.dropFirst(prefix.count).split(separator: "-")
        guard name.hasPrefix(prefix), parts.count >= 3 else { return nil }
        return Int32(parts[parts.count - 2])
    }
}

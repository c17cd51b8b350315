import ImageGateModel

/// `/var/lib/dpkg/status`: the packages dpkg has installed.
public enum DpkgStatus {
    /// Installed packages: name → version without its epoch (`2:1.0-3` →
    /// `1.0-3`), as libguestfs reports `version-release`. A package counts
    /// when the third word of its `Status:` is `installed`.
    public static func installedPackages(_ text: String) -> [String: String] {
        var packages: [String: String] = [:]
        var name: String?, version: String?, installed = false
        func flush() {
            if installed, let name, let version, packages[name] == nil { packages[name] = version }
            name = nil; version = nil; installed = false
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            if line.hasPrefix("Package: ") {
                name = line.dropFirst("Package: ".count).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("Version: ") {
                var value = line.dropFirst("Version: ".count).trimmingCharacters(in: .whitespaces)
                if let colon = value.firstIndex(of: ":"), value[..<colon].allSatisfy(\.isNumber) {
                    value = String(value[value.index(after: colon)...])
                }
                version = value
            } else if line.hasPrefix("Status: ") {
                let words = line.dropFirst("Status: ".count).split(separator: " ")
                installed = words.count == 3 && words[2] == "installed"
            }
        }
        flush()
        return packages
    }
}

import Foundation

import ImageGateModel

/// `/etc/os-release` (os-release(5)): `KEY=value` lines, values optionally
/// shell-quoted.
public struct OSRelease: Sendable, Equatable {
    public var values: [String: String]

    public init(parsing text: String) {
        var values: [String: String] = [:]
        for line in Line.split(text) where !line.isCommentOrBlank {
            guard let equals = line.trimmed.firstIndex(of: "=") else { continue }
            let key = String(line.trimmed[..<equals])
            values[key] = Self.unquote(String(line.trimmed[line.trimmed.index(after: equals)...]))
        }
        self.values = values
    }

    /// `"a \"b\""` → `a "b"`; `'x'` → `x`; bare words as they are.
    static func unquote(_ value: String) -> String {
        guard let first = value.first, first == "\"" || first == "'", value.count >= 2, value.last == first else { return value }
        let inner = value.dropFirst().dropLast()
        guard first == "\"" else { return String(inner) }
        var result = ""
        var escaped = false
        for character in inner {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }

    /// The OS this file (and, for Debian, `/etc/debian_version`) names, in
    /// libguestfs's terms — or nil where libguestfs would look further than
    /// os-release (an ID it does not map, a version without the minor number
    /// it reads elsewhere), so the caller falls back to libguestfs.
    public func identity(debianVersion: String?) -> OSIdentity? {
        guard let id = values["ID"], let versionID = values["VERSION_ID"] else { return nil }
        let distro: String
        let packageFormat: String
        switch id {
        case "debian", "ubuntu": (distro, packageFormat) = (id, "deb")
        case "rhel", "fedora", "centos": (distro, packageFormat) = (id, "rpm")
        case "sles", "sled": (distro, packageFormat) = ("sles", "rpm")
        case _ where id == "opensuse" || id.hasPrefix("opensuse-"): (distro, packageFormat) = ("opensuse", "rpm")
        default: return nil
        }
        guard var version = Self.majorMinor(versionID) else { return nil }
        var productName = values["PRETTY_NAME"] ?? ""
        if distro == "debian" {
            // Debian's VERSION_ID is the major number only: libguestfs reads
            // the point release (and its product name) from debian_version.
            guard let line = debianVersion?.split(separator: "\n").first.map(String.init),
                  let point = Self.majorMinor(line), point.major == version.major else { return nil }
            version = point
            productName = line
        } else if distro == "centos" && version.minor == 0 {
            return nil  // libguestfs reads CentOS's minor from centos-release
        }
        guard !productName.isEmpty else { return nil }
        return OSIdentity(distro: distro, majorVersion: version.major, minorVersion: version.minor,
                          productName: productName, packageFormat: packageFormat)
    }

    /// `"22.04"` → (22, 4); `"9"` → (9, 0); anything else → nil.
    static func majorMinor(_ text: String) -> (major: Int, minor: Int)? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), let major = Int(parts[0]) else { return nil }
        guard parts.count > 1 else { return (major, 0) }
        guard let minor = Int(parts[1]) else { return nil }
        return (major, minor)
    }
}

/// Which operating system a disk holds, as libguestfs names it.
public struct OSIdentity: Sendable, Equatable {
    /// `debian`, `ubuntu`, `rhel`, ...
    public var distro: String
    public var majorVersion: Int
    public var minorVersion: Int
    public var productName: String
    /// `deb` or `rpm`.
    public var packageFormat: String

    public init(distro: String, majorVersion: Int, minorVersion: Int, productName: String, packageFormat: String) {
        self.distro = distro
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.productName = productName
        self.packageFormat = packageFormat
    }
}

import Foundation

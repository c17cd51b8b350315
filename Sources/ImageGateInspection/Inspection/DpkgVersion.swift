import ImageGateModel

/// A Debian package version ordered as dpkg orders it (deb-version(5)):
/// the epoch as a number, then the upstream version and the revision,
/// each compared in runs — non-digits by dpkg's character order (`~`
/// before everything, even the end; letters before other characters),
/// then digits as numbers. Written here because no Swift package carries
/// it and libdpkg has no stable library; `DpkgVersionTests` holds it to
/// `dpkg --compare-versions` on thousands of real version pairs.
public struct DpkgVersion: Sendable, Comparable, CustomStringConvertible {
    public let epoch: Int
    public let upstream: String
    public let revision: String
    public let description: String

    public init(_ text: String) {
        description = text
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let colon = rest.firstIndex(of: ":"), let number = Int(rest[..<colon]) {
            epoch = number
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = 0
        }
        if let dash = rest.lastIndex(of: "-") {
            upstream = String(rest[..<dash])
            revision = String(rest[rest.index(after: dash)...])
        } else {
            upstream = String(rest)
            revision = ""
        }
    }

    public static func < (a: DpkgVersion, b: DpkgVersion) -> Bool { compare(a, b) < 0 }
    public static func == (a: DpkgVersion, b: DpkgVersion) -> Bool { compare(a, b) == 0 }

    public static func compare(_ a: DpkgVersion, _ b: DpkgVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = compareRuns(Array(a.upstream.utf8), Array(b.upstream.utf8))
        return upstream != 0 ? upstream : compareRuns(Array(a.revision.utf8), Array(b.revision.utf8))
    }

    /// dpkg's weight of one character of a non-digit run (0: the end).
    static func order(_ c: UInt8?) -> Int {
        guard let c else { return 0 }
        if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { return 0 }
        if (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) { return Int(c) }
        if c == UInt8(ascii: "~") { return -1 }
        return Int(c) + 256
    }

    static func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }

    static func compareRuns(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        func at(_ s: [UInt8], _ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        while i < a.count || j < b.count {
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let left = order(at(a, i)), right = order(at(b, j))
                if left != right { return left < right ? -1 : 1 }
                i += 1
                j += 1
            }
            while at(a, i) == UInt8(ascii: "0") { i += 1 }
            while at(b, j) == UInt8(ascii: "0") { j += 1 }
            var firstDifference = 0
            while isDigit(at(a, i)), isDigit(at(b, j)) {
                if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if isDigit(at(a, i)) { return 1 }
            if isDigit(at(b, j)) { return -1 }
            if firstDifference != 0 { return firstDifference < 0 ? -1 : 1 }
        }
        return 0
    }
}

import Foundation
import ImageGateModel

/// When an OS release's support ends, and how ImageGate learns it: for
/// Debian and Ubuntu the tables of the `distro-info-data` package on the
/// reviewer's machine (`/usr/share/distro-info/debian.csv`, `ubuntu.csv`:
/// maintained by Debian, updated with every release), for the RPM families
/// the profile's own table (they ship no such data). The profile picks the
/// column that counts (Debian's `eol-lts`, Ubuntu's `eol`, by default) and
/// how near an end warns.
public struct EndOfLife: Sendable, Codable, Equatable {
    /// Days before an end from which the rule warns.
    public var horizonDays: Int
    /// The folder holding distro-info-data's tables.
    public var distroInfo: String
    /// The table column that counts per distribution (`eol`, `eol-lts`,
    /// `eol-elts` for Debian; `eol`, `eol-server`, `eol-esm` for Ubuntu).
    public var support: [String: String]
    /// Ends the profile gives itself, for what distro-info-data has no
    /// table of (and in place of it, where both name a release).
    public var dates: [Release]

    public struct Release: Sendable, Codable, Equatable {
        public var distro: String
        /// `9`, or `9.4` for one minor release only.
        public var version: String
        /// `YYYY-MM-DD`.
        public var ends: String

        public init(distro: String, version: String, ends: String) {
            (self.distro, self.version, self.ends) = (distro, version, ends)
        }
    }

    enum CodingKeys: String, CodingKey {
        case horizonDays = "horizon_days", distroInfo = "distro_info", support, dates
    }

    /// The end for `facts`' release: its date, and where it was read.
    public struct End: Sendable, Equatable {
        public var date: Date
        public var source: Evidence
        /// The table column, or "the profile".
        public var column: String
    }

    /// Most of a table read.
    static let tableLimit = 1 << 20

    /// The end of `facts`' release, or why none is known.
    public func end(of facts: OSFacts) -> Result<End, ImageGateError> {
        let version = "\(facts.majorVersion).\(facts.minorVersion)"
        if let own = dates.first(where: { $0.distro == facts.distro && ($0.version == String(facts.majorVersion) || $0.version == version) }) {
            guard let date = Self.day(own.ends) else { return .failure(.badInput("profile: end_of_life.dates: \(own.distro) \(own.version): '\(own.ends)' is not YYYY-MM-DD")) }
            return .success(End(date: date, source: Evidence(path: "platform profile", "end_of_life.dates: \(own.distro) \(own.version) ends \(own.ends)"), column: "the profile"))
        }
        guard ["debian", "ubuntu"].contains(facts.distro) else {
            return .failure(.badInput("no end-of-life date for \(facts.distro) \(facts.majorVersion): distro-info-data covers Debian and Ubuntu; give the profile's end_of_life.dates one"))
        }
        let path = distroInfo + "/" + facts.distro + ".csv"
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(.badInput("\(path): not readable (the distro-info-data package is not installed on this machine)"))
        }
        // Read-only: nothing is lost if closing fails.
        defer { try? handle.close() }
        let text = String(decoding: (try? handle.read(upToCount: Self.tableLimit)) ?? Data(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else {
            return .failure(.badInput("\(path): empty"))
        }
        let wanted = support[facts.distro] ?? "eol"
        guard let column = header.firstIndex(of: wanted), let eol = header.firstIndex(of: "eol") else {
            return .failure(.badInput("\(path): no column '\(wanted)' (its columns: \(header.joined(separator: ", ")))"))
        }
        for (index, line) in lines.enumerated().dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            // Ubuntu's versions read "22.04 LTS"; Debian's "12" (and "1.1" long ago).
            guard let first = cells.first?.split(separator: " ").first, Self.matches(String(first), facts) else { continue }
            // A release without the column (no LTS period yet, a non-LTS Ubuntu) ends at its plain end.
            let (cell, used) = column < cells.count && !cells[column].isEmpty ? (cells[column], wanted) : (eol < cells.count ? cells[eol] : "", "eol")
            guard let date = Self.day(cell) else {
                return .failure(.badInput("\(path):\(index + 1): \(facts.distro) \(first) has no \(wanted) date yet"))
            }
            return .success(End(date: date, source: Evidence(path: path, line: index + 1, String(line.prefix(200))), column: used))
        }
        return .failure(.badInput("\(path): no row for \(facts.distro) \(version) (a release newer than this machine's distro-info-data?)"))
    }

    static func matches(_ version: String, _ facts: OSFacts) -> Bool {
        let parts = version.split(separator: ".").map { Int($0) }
        guard let major = parts.first ?? nil, major == facts.majorVersion else { return false }
        // Debian's table has one row per major release; Ubuntu's one per YY.MM.
        return facts.distro == "debian" || (parts.count > 1 && parts[1] == facts.minorVersion)
    }

    /// `YYYY-MM-DD` in UTC.
    static func dayText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }

    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}

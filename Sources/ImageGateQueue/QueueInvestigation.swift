import Foundation
import ImageGate
import ImageGateModel

/// openQA's investigation for every first failure: an entry that does not
/// pass tonight but passed in its last complete run, with what differs
/// between the two checks — the image, the guest's packages, kernels and
/// cloud-init, ImageGate and its rule catalogue, the profile, the
/// scenario, the accelerator, the host and its libvirt, QEMU and kernel
/// versions — and, per instance, the first console line
/// where tonight's boot parts from the last good one (the replay's
/// comparison: kernel timestamps and line endings aside).
public struct QueueInvestigation: Sendable, Codable, Equatable {
    public var key: String
    /// The run of the last good check.
    public var lastGoodRun: Int64
    /// What differs, a line each, in the order a reviewer asks.
    public var differences: [String]
    public var packages: PackageChanges
    public var consoles: [ConsoleParting]

    public struct PackageChanges: Sendable, Codable, Equatable {
        /// `name version`.
        public var added: [String] = []
        public var removed: [String] = []
        /// `name old → new`.
        public var changed: [String] = []
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    public struct ConsoleParting: Sendable, Codable, Equatable {
        public var hostname: String
        /// 1-based.
        public var line: Int
        /// Tonight's line there, from tonight's console log (nil: the
        /// console ended, or its log was not kept).
        public var tonight: String?
    }

    /// How much of tonight's console log is read for its parting line.
    static let consoleReadLimit = 16 << 20

    /// The investigations of `run`'s first failures, by key.
    public static func investigate(_ history: QueueHistory, run: Int64) throws -> [QueueInvestigation] {
        guard let tonightRun = try history.run(run) else { throw ImageGateError.badInput("run \(run): no such run in \(history.path)") }
        var found: [QueueInvestigation] = []
        for entry in try history.entries(run: run) where entry.verdict != .pass || entry.isFlaky {
            guard let good = try history.earlierEntries(key: entry.key, before: run, limit: 1).first, good.verdict == .pass, !good.isFlaky,
                  let goodRun = try history.run(good.runID) else { continue }
            found.append(investigate(entry, in: tonightRun, against: good, of: goodRun))
        }
        return found
    }

    static func investigate(_ entry: QueueHistory.Entry, in run: QueueHistory.Run, against good: QueueHistory.Entry,
                            of goodRun: QueueHistory.Run) -> QueueInvestigation {
        var differences: [String] = []
        func compare(_ what: String, _ before: String?, _ after: String?) {
            if before != after { differences.append("\(what): \(before ?? "—") → \(after ?? "—")") }
        }
        compare("image sha256", good.imageSHA256.isEmpty ? nil : String(good.imageSHA256.prefix(12)) + "…",
                entry.imageSHA256.isEmpty ? nil : String(entry.imageSHA256.prefix(12)) + "…")
        let before = good.checkedSoftware, after = entry.checkedSoftware
        compare("kernels", before.map { $0.kernels.joined(separator: ", ") }, after.map { $0.kernels.joined(separator: ", ") })
        compare("cloud-init", before?.packages["cloud-init"], after?.packages["cloud-init"])
        compare("ImageGate", goodRun.imagegateVersion, run.imagegateVersion)
        compare("rule catalogue", String(goodRun.catalogueDigest.prefix(12)), String(run.catalogueDigest.prefix(12)))
        compare("profile digest", String(good.profileDigest.prefix(12)), String(entry.profileDigest.prefix(12)))
        compare("scenario digest", String(good.scenarioDigest.prefix(12)), String(entry.scenarioDigest.prefix(12)))
        compare("accelerator", good.accelerator, entry.accelerator)
        compare("host", good.host ?? "this machine", entry.host ?? "this machine")
        compare("host versions", good.hostVersions, entry.hostVersions)
        var packages = PackageChanges()
        if let before, let after {
            for (name, version) in after.packages.sorted(by: { $0.key < $1.key }) {
                if let old = before.packages[name] {
                    if old != version { packages.changed.append("\(name) \(old) → \(version)") }
                } else {
                    packages.added.append("\(name) \(version)")
                }
            }
            packages.removed = before.packages.filter { after.packages[$0.key] == nil }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        }
        var consoles: [ConsoleParting] = []
        for hostname in QueueHistory.hostnames(of: entry).sorted() {
            guard let old = before?.consoleLines(of: hostname), let new = after?.consoleLines(of: hostname),
                  let index = (0..<max(old.count, new.count)).first(where: { $0 >= old.count || $0 >= new.count || old[$0] != new[$0] }) else { continue }
            consoles.append(ConsoleParting(hostname: hostname, line: index + 1, tonight: consoleLine(index, of: hostname, in: entry)))
        }
        return QueueInvestigation(key: entry.key, lastGoodRun: good.runID, differences: differences, packages: packages, consoles: consoles)
    }

    /// Line `index` (0-based) of tonight's console log of `hostname`, as kept beside the entry's report.
    static func consoleLine(_ index: Int, of hostname: String, in entry: QueueHistory.Entry) -> String? {
        // The history wrote this JSON itself; a damaged row has no console logs.
        let logs = (try? JSONDecoder().decode([String].self, from: Data(entry.consoleLogs.utf8))) ?? []
        // The history names the path: only a regular file is opened (a FIFO would block the read).
        guard let path = logs.first(where: { $0.hasSuffix("/" + FileName.safe(hostname) + "-console.log") }),
              (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
              let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }  // read-only: nothing to lose on close
        // A log that cannot be read has no line to show; the line number stands.
        guard let data = try? file.read(upToCount: consoleReadLimit) else { return nil }
        let lines = CheckedSoftware.lines(String(decoding: data, as: UTF8.self))
        guard index < lines.count else { return nil }
        return String(ReplayComparison.normalized(lines[index]).prefix(300))
    }

    /// For a terminal, every investigation.
    public static func text(_ investigations: [QueueInvestigation]) -> String {
        guard !investigations.isEmpty else { return "" }
        var out = "\nFIRST FAILURES, INVESTIGATED (\(investigations.count))\n"
        for investigation in investigations {
            out += "  \(investigation.key): passed in run \(investigation.lastGoodRun); since then:\n"
            for line in investigation.differences + investigation.packageLines + investigation.consoleLines { out += "    \(line)\n" }
            if investigation.differences.isEmpty && investigation.packages.isEmpty && investigation.consoles.isEmpty {
                out += "    nothing recorded differs\n"
            }
        }
        return out
    }

    /// The package changes, a line each (at most 20 of each kind).
    var packageLines: [String] {
        func list(_ kind: String, _ items: [String]) -> [String] {
            items.isEmpty ? [] : ["packages \(kind) (\(items.count)): " + items.prefix(20).joined(separator: ", ") + (items.count > 20 ? ", …" : "")]
        }
        return list("added", packages.added) + list("removed", packages.removed) + list("changed", packages.changed)
    }

    /// Where each instance's console parts from the last good one.
    var consoleLines: [String] {
        consoles.map { "console of \($0.hostname) parts from the last good boot at line \($0.line): \($0.tonight ?? "(ended, or not kept)")" }
    }
}

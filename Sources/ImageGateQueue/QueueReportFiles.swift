import Foundation
import ImageGate
import ImageGateModel

/// Where a queue run writes each entry's check report (JSON and HTML) and
/// its instances' console logs: a folder per entry, and in it one per
/// further check of a repeated entry.
struct QueueReportFiles: Sendable {
    /// The reports folder; nil: nothing is written.
    var folder: String?

    /// The report's HTML path, nil without a folder.
    func write(_ report: CheckReport, for entry: QueueManifest.Entry, check: Int) throws -> String? {
        guard let folder else { return nil }
        return try ReportWriter.write(report, as: [.json, .html], into: Self.folder(of: entry, in: folder, check: check))[.html]
    }

    func writeConsoles(_ report: CheckReport, for entry: QueueManifest.Entry, check: Int) throws -> [String] {
        guard let folder else { return [] }
        let entryFolder = Self.folder(of: entry, in: folder, check: check)
        return try report.instances.map { instance in
            let path = entryFolder + "/\(FileName.safe(instance.hostname))-console.log"
            try instance.consoleLog.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    /// An entry's own folder of reports: its key made a file name, and a
    /// digest of the key, so two keys the file name would merge (`a/b`,
    /// `a_b`) keep apart. A repeated entry's later checks each have a
    /// folder inside it (`check-2`, …).
    static func folder(of entry: QueueManifest.Entry, in reports: String, check: Int = 1) -> String {
        reports + "/" + FileName.safe(entry.key) + "-" + Digest.sha256(entry.key).prefix(8) + (check > 1 ? "/check-\(check)" : "")
    }
}

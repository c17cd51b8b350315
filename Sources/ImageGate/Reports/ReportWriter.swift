import Foundation
import ImageGateModel

/// The one place a check's result (``CheckReport``) becomes report files,
/// for the CLI, the queue and reproduction bundles alike.
public enum ReportWriter {
    public enum Format: String, Sendable, CaseIterable {
        case json, junit, html

        /// The file name a report of this format has in a folder of reports.
        public var fileName: String {
            switch self {
            case .json: return "report.json"
            case .junit: return "junit.xml"
            case .html: return "report.html"
            }
        }
    }

    /// The report as text.
    public static func render(_ report: CheckReport, as format: Format) throws -> String {
        switch format {
        case .json: return try report.json()
        case .junit: return JUnitReport.render(report)
        case .html: return HTMLReport.render(report)
        }
    }

    /// Writes the report to `path`, a path the user named (``OutputFile``).
    public static func write(_ report: CheckReport, as format: Format, to path: String) throws {
        try OutputFile.write(render(report, as: format), to: path)
    }

    /// Writes the report in each of `formats` into `folder` (made if
    /// missing) under its ``Format/fileName``; returns the paths.
    @discardableResult
    public static func write(_ report: CheckReport, as formats: [Format], into folder: String) throws -> [Format: String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [Format: String] = [:]
        for format in formats {
            let path = folder + "/" + format.fileName
            // A name of ImageGate's own, replaced whole: whatever was there,
            // a link included, is not written through.
            try render(report, as: format).write(toFile: path, atomically: true, encoding: .utf8)
            written[format] = path
        }
        return written
    }
}

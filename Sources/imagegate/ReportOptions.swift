import ArgumentParser
import Foundation
import ImageGate
import ImageGateModel

extension Language: ExpressibleByArgument {}

/// The report options every verdict command takes: the same reports, from
/// the one result model (``CheckReport``), whatever the command.
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the JSON report here ('-' for standard output).", valueName: "file"))
    var json: String?
    @Option(help: ArgumentHelp("Write JUnit XML here.", valueName: "file"))
    var junit: String?
    @Option(help: ArgumentHelp("Write the self-contained HTML report here.", valueName: "file"))
    var html: String?
    @Option(help: "Report language: zh or en (default: from LC_ALL, LC_MESSAGES or LANG).")
    var lang: Language?

    var language: Language { lang ?? .fromEnvironment }

    /// Writing JSON to standard output leaves no room for the text report.
    var jsonToStdout: Bool { json == "-" }

    func validate() throws {
        for (name, path) in [("--junit", junit), ("--html", html)] where path == "-" {
            throw ExitCode.refusing("\(name) needs a file; only --json writes to standard output ('-')")
        }
    }

    /// Writes every report asked for. `json` is the JSON document, which
    /// `inspect` keeps in its own schema.
    func write(_ report: CheckReport, json document: () throws -> String) throws {
        if let json {
            let text = try document()
            if json == "-" { print(text) } else { try OutputFile.write(text, to: json) }
        }
        if let junit { try ReportWriter.write(report, as: .junit, to: junit) }
        if let html { try ReportWriter.write(report, as: .html, to: html) }
    }

    /// The files written, one line each, for the text report.
    var writtenLines: [String] {
        [("JUnit", junit), ("JSON", json), ("HTML", html)].compactMap { name, path in
            path.flatMap { $0 == "-" ? nil : "\(name): \($0)" }
        }
    }
}

import ArgumentParser
import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import ImageGateQueue

/// `imagegate queue`: the nightly review queue, its history and what
/// changed since the last run.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Check every image of a review queue, keep the history, and name what changed since the last run.",
        subcommands: [Run.self, Diff.self, History.self, Label.self, Labels.self]
    )

    /// Where the history is.
    struct DatabaseOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The history database (default: queue.sqlite in the state folder).", valueName: "file"))
        var db: String?

        func open() throws -> QueueHistory { try QueueHistory(path: db ?? QueueHistory.defaultPath()) }
    }

    /// Jobs: a number, or `auto` (what the host's CPUs and free memory allow).
    enum Jobs: ExpressibleByArgument {
        case automatic, count(Int)

        init?(argument: String) {
            if argument == "auto" { self = .automatic; return }
            guard let count = Int(argument), count >= 1, count <= 64 else { return nil }
            self = .count(count)
        }

        func value(for manifest: QueueManifest) -> Int {
            switch self {
            case .automatic: return QueueAdmission.automaticJobs(for: manifest)
            case let .count(count): return count
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry of MANIFEST and record each verdict.",
            discussion: "Exit status: 0 nothing regressed and no new image fails, 1 a regression or a new failure, 2 bad input, 3 the run could not complete, 130 interrupted (resume with --resume)."
        )

        @Argument(help: "The queue manifest (YAML: defaults, entries).")
        var manifest: String
        @Option(help: "Entries checked at once: a number, or auto (the default): as many as this machine's cores and free memory admit for the manifest's largest scenario.")
        var jobs: Jobs = .automatic
        @Option(help: "Images whose static inspections share one libguestfs appliance (default 8; 1: an appliance per image, and a kill loses at most the entry in flight).")
        var batch = 8
        @Flag(help: "Continue the manifest's last unfinished run, skipping what it recorded.")
        var resume = false
        @Flag(help: "Carry over, without a check, each entry whose image, profile, scenario, rule catalogue, ImageGate, accelerator and host are what they were at its last complete check (never one whose last check was an error, FLAKY or a known failure).")
        var incremental = false
        @Option(name: .customLong("repeat"), help: ArgumentHelp("Check each booting entry this many times (1 to 20; an entry's own repeat: wins), each time on a fresh boot: the entry is recorded with its worst check, and each failed rule with the number of checks it failed in.", valueName: "n"))
        var repeatCount = 1
        @Option(name: .customLong("full-every"), help: ArgumentHelp("With --incremental: check in full an entry whose last full check is this many days old.", valueName: "days"))
        var fullEvery: Int?
        @Option(name: .customLong("post-mortem"),
                help: "When a boot's stopped disk is read for the guest's logs and a Diagnosis: never, on-failure (default) or always.")
        var postMortem: BootOptions.PostMortemWhen = .onFailure
        @OptionGroup var database: DatabaseOptions
        @Option(help: ArgumentHelp("Write each entry's check report (JSON, HTML) and console logs under this folder (default with --html: reports/ beside the dashboard, which links each row to its report).", valueName: "folder"))
        var reports: String?
        @Option(help: ArgumentHelp("Write the run's JSON (entries and comparison) here ('-' for standard output).", valueName: "file"))
        var json: String?
        @Option(help: ArgumentHelp("Write JUnit XML here: a suite per image.", valueName: "file"))
        var junit: String?
        @Option(help: ArgumentHelp("Write the night's HTML dashboard here (links to each entry's report are relative to its folder).", valueName: "file"))
        var html: String?
        @Option(help: "Report language: zh or en.")
        var lang: Language?
        @OptionGroup(title: "Hypervisor")
        var hypervisor: HostOptions
        @Option(help: ArgumentHelp("Spread the boots over these libvirt hosts (over the manifest's hosts:): URI[=capacity],… — see imagegate hosts check.", valueName: "hosts"))
        var hosts: String?

        func validate() throws {
            if hosts != nil, hypervisor.connect != nil { throw ExitCode.refusing("queue run: give --hosts or --connect, not both") }
            if fullEvery != nil, !incremental { throw ExitCode.refusing("queue run: --full-every needs --incremental") }
            if !(1...QueueManifest.maxRepeat).contains(repeatCount) { throw ExitCode.refusing("queue run: --repeat \(repeatCount): expected 1 to \(QueueManifest.maxRepeat)") }
            if let fullEvery, !(1...3650).contains(fullEvery) { throw ExitCode.refusing("queue run: --full-every \(fullEvery): expected 1 to 3650 days") }
            guard (1...64).contains(batch) else { throw ExitCode.refusing("queue run: --batch \(batch): expected 1 to 64 images per appliance") }
            for (name, path) in [("--junit", junit), ("--html", html)] where path == "-" {
                throw ExitCode.refusing("queue run: \(name) needs a file; only --json writes to standard output ('-')")
            }
        }

        func run() async throws {
            let (diff, history, runID): (QueueDiff, QueueHistory, Int64) = try await ExitCode.guarding {
                let manifest = try QueueManifest.load(path: self.manifest)
                let history = try database.open()
                let specs = try hosts.map(HostSpec.list) ?? manifest.hosts
                let summary = try await hypervisor.withHost { host in
                    var runner = QueueRunner(manifest: manifest, history: history, host: host)
                    runner.jobs = jobs.value(for: manifest)
                    if !specs.isEmpty {
                        let (fleet, unreachable) = await Fleet.connect(specs) { try await LibvirtHost.connect($0) }
                        for status in unreachable { complain("queue: \(status.uri): \(status.problem ?? "unreachable"); going on without it") }
                        guard await fleet.capacity > 0 else { throw ImageGateError.infrastructure("no host of the fleet can be reached") }
                        runner.fleet = fleet
                        runner.jobs = await fleet.capacity
                    }
                    runner.batchSize = batch
                    runner.incremental = incremental
                    runner.fullEveryDays = fullEvery
                    runner.repeats = repeatCount
                    runner.postMortem = postMortem
                    runner.reports = reports ?? html.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path + "/reports" }
                    runner.language = lang ?? .fromEnvironment
                    runner.progress = { FileHandle.standardError.write(Data("queue: \(TerminalText.sanitize($0))\n".utf8)) }
                    let configured = runner, resume = self.resume
                    return try await Interrupt.cancellingOnSIGINT { try await configured.run(resume: resume) }
                }
                return (try QueueDiff.compare(history, after: summary.runID), history, summary.runID)
            }
            if let junit { try OutputFile.write(QueueReport.junit(history, run: runID), to: junit) }
            if let html {
                let folder = URL(fileURLWithPath: html).standardizedFileURL.deletingLastPathComponent().path
                try OutputFile.write(QueueDashboard.render(history, run: runID, diff: diff, language: lang ?? .fromEnvironment, linksFrom: folder), to: html)
            }
            if let json {
                let text = try QueueReport.json(history, run: runID, diff: diff)
                if json == "-" { print(text) } else { try OutputFile.write(text, to: json) }
            }
            if json != "-" {
                say(QueueReport.text(diff), terminator: "")
                say(QueueInvestigation.text(try QueueInvestigation.investigate(history, run: runID)), terminator: "")
                say(try QueueReport.knownText(history, run: runID), terminator: "")
                say(try QueueReport.repeatedText(history, run: runID), terminator: "")
                say(QueueReport.flipsText(try QueueFlips.find(in: history, run: runID)), terminator: "")
                for slower in try QueueBootTime.slower(in: history, run: runID) { slower.warnings(lang ?? .fromEnvironment).forEach { say($0) } }
            }
            if diff.hasRegressions { throw ExitCode.imageFailed }
        }
    }

    struct Diff: AsyncParsableCommand, ListingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two runs (default: the last run with the one before it of the same manifest).")

        @Argument(help: "The earlier run's ID.")
        var before: Int64?
        @Argument(help: "The later run's ID.")
        var after: Int64?
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "JSON instead of text.")
        var json = false

        func validate() throws {
            if before != nil, after == nil { throw ExitCode.refusing("queue diff: give both runs, or none") }
        }

        func run() async throws {
            let (diff, investigations): (QueueDiff, [QueueInvestigation]) = try await ExitCode.guarding {
                let history = try database.open()
                guard let latest = try after ?? history.runs().first?.id else { throw ImageGateError.badInput("\(history.path): no run recorded yet") }
                return (try QueueDiff.compare(history, before: before, after: latest), try QueueInvestigation.investigate(history, run: latest))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(diff), as: UTF8.self))
            } else {
                say(QueueReport.text(diff), terminator: "")
                say(QueueInvestigation.text(investigations), terminator: "")
            }
        }
    }

    struct History: AsyncParsableCommand, ListingCommand {
        static let configuration = CommandConfiguration(abstract: "Every recorded verdict of an image (path or SHA-256), or of a vendor's images.")

        @Argument(help: "The image's path or SHA-256.")
        var image: String?
        @Option(help: "Every image of this vendor.")
        var vendor: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if (image == nil) == (vendor == nil) { throw ExitCode.refusing("queue history: give an IMAGE or --vendor, not both") }
        }

        func run() async throws {
            let rows = try await ExitCode.guarding {
                let history = try database.open()
                let path = image.map { $0.count == 64 ? $0 : URL(fileURLWithPath: $0).standardizedFileURL.path }
                return try history.history(image: path, vendor: vendor)
            }
            for (run, entry) in rows {
                let flaky = entry.flakyFirstVerdict.map { " (flaky: first \($0))" } ?? ""
                say("run \(run.id) \(run.startedAt)  \(entry.key)  \(entry.shownVerdict.uppercased())\(flaky)  sha256 \(entry.imageSHA256.prefix(12))…  \(String(format: "%.0f", entry.seconds)) s")
            }
        }
    }
}

import Foundation
import GRDB
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// Every queue run, entry and finding, in SQLite through GRDB: what the
/// nightly comparison reads. The schema grows by migrations only (GRDB's
/// `DatabaseMigrator`), from the first version on. An entry is written, in
/// one transaction with its findings, the moment it is done: a run killed
/// mid-way loses at most the entries in flight.
public final class QueueHistory: Sendable {
    let database: DatabaseQueue
    public let path: String

    /// The default database: `queue.sqlite` in the state folder.
    public static func defaultPath(state: StateDirectory = .default) -> String { state.path + "/queue.sqlite" }

    /// The history at `path`, made if missing; a bare file name is in the
    /// working folder.
    public init(path given: String) throws {
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ImageGateError.badInput("\(given): its folder \(folder) cannot be made")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
            // The reviewers' record of every vendor's verdicts: this user's alone.
            chmod(path, 0o600)
        } catch let error as DatabaseError {
            throw ImageGateError.badInput("\(path): not a queue history database (\(error.message ?? "\(error.resultCode)"))")
        }
        self.path = path
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("manifest", .text).notNull()
                t.column("manifestDigest", .text).notNull()
                t.column("imagegateVersion", .text).notNull()
                t.column("catalogueDigest", .text).notNull()
                t.column("startedAt", .text).notNull()
                t.column("endedAt", .text)
                // QueueRunStatus: running, finished, interrupted
                t.column("status", .text).notNull()
            }
            try db.create(table: "entry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("runID", .integer).notNull().indexed().references("run", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("vendor", .text).notNull().indexed()
                t.column("product", .text).notNull()
                t.column("version", .text).notNull()
                t.column("imagePath", .text).notNull()
                t.column("imageSize", .integer).notNull()
                t.column("imageSHA256", .text).notNull().indexed()
                t.column("profileDigest", .text).notNull()
                t.column("scenarioDigest", .text).notNull()
                // pass, fail, incomplete, error
                t.column("verdict", .text).notNull()
                t.column("exitCode", .integer).notNull()
                t.column("seconds", .double).notNull()
                // The first attempt's verdict when a retry gave another.
                t.column("flakyFirstVerdict", .text)
                t.column("problem", .text)
                t.column("reportPath", .text)
                // JSON: hostname → {stage: seconds}, and the console logs.
                t.column("timelines", .text).notNull()
                t.column("consoleLogs", .text).notNull()
                t.uniqueKey(["runID", "key"])
            }
            try db.create(table: "finding") { t in
                t.column("entryID", .integer).notNull().indexed().references("entry", onDelete: .cascade)
                t.column("rule", .text).notNull()
                t.column("severity", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("found", .text).notNull()
                // JSON array of evidence lines.
                t.column("evidence", .text).notNull()
                t.column("waived", .text)
            }
        }
        // A fleet: which host ran each entry, and how the hosts fared.
        migrator.registerMigration("v2-hosts") { db in
            try db.alter(table: "entry") { t in t.add(column: "host", .text) }
            try db.alter(table: "run") { t in t.add(column: "hosts", .text) }
        }
        // Boot times compare only under one accelerator: which one ran the entry's boots.
        migrator.registerMigration("v3-accelerator") { db in
            try db.alter(table: "entry") { t in t.add(column: "accelerator", .text) }
        }
        // Reviewers' labels on known failures, by signature (``FailureLabel``).
        migrator.registerMigration("v4-labels") { db in
            try db.create(table: "label") { t in
                t.column("signature", .text).notNull().primaryKey()
                t.column("rule", .text).notNull()
                t.column("text", .text).notNull()
                t.column("note", .text).notNull()
                t.column("link", .text)
                // The last day (YYYY-MM-DD, UTC) it is shown; nil: no end.
                t.column("until", .text)
                t.column("createdAt", .text).notNull()
            }
        }
        // A retried entry's first check (``FirstAttempt``), as JSON.
        migrator.registerMigration("v5-first-attempt") { db in
            try db.alter(table: "entry") { t in t.add(column: "firstAttempt", .text) }
        }
        // What the check found in the guest, for a first failure's investigation (``CheckedSoftware``).
        migrator.registerMigration("v6-checked-software") { db in
            try db.alter(table: "entry") { t in t.add(column: "software", .text) }
        }
        // `queue run --incremental`: the run whose full check an entry carries over.
        migrator.registerMigration("v7-carried-over") { db in
            try db.alter(table: "entry") { t in t.add(column: "carriedFrom", .integer) }
        }
        // The profile's boot budget for the entry's OS family, in seconds under its accelerator.
        migrator.registerMigration("v8-boot-budget") { db in
            try db.alter(table: "entry") { t in t.add(column: "bootBudget", .double) }
        }
        // What the host that ran the entry's boots runs (``VirtualMachineHost/versions()``).
        migrator.registerMigration("v9-host-versions") { db in
            try db.alter(table: "entry") { t in t.add(column: "hostVersions", .text) }
        }
        // An entry checked several times in one run (``RepeatedChecks``), as JSON.
        migrator.registerMigration("v10-repeated") { db in
            try db.alter(table: "entry") { t in t.add(column: "repeated", .text) }
        }
        // Whose fault an error was (``ImageGateError/Code``): the exit status alone cannot tell the host's from a changed candidate.
        migrator.registerMigration("v11-error-code") { db in
            try db.alter(table: "entry") { t in t.add(column: "errorCode", .text) }
        }
        return migrator
    }

    // MARK: - Records

    public struct Run: Sendable, Equatable, Codable, FetchableRecord {
        public var id: Int64
        public var manifest: String
        public var manifestDigest: String
        public var imagegateVersion: String
        public var catalogueDigest: String
        public var startedAt: String
        public var endedAt: String?
        public var status: QueueRunStatus
        /// JSON: the fleet's hosts at the end of the run (``Fleet/HostStatus``); nil without a fleet.
        public var hosts: String?

        public var hostStatuses: [Fleet.HostStatus] {
            // The history wrote this JSON itself; a damaged row shows no hosts.
            hosts.flatMap { try? JSONDecoder().decode([Fleet.HostStatus].self, from: Data($0.utf8)) } ?? []
        }

        /// In a report the hosts are what they are, a list of objects, not
        /// the text the history stores them as.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(manifest, forKey: .manifest)
            try container.encode(manifestDigest, forKey: .manifestDigest)
            try container.encode(imagegateVersion, forKey: .imagegateVersion)
            try container.encode(catalogueDigest, forKey: .catalogueDigest)
            try container.encode(startedAt, forKey: .startedAt)
            try container.encodeIfPresent(endedAt, forKey: .endedAt)
            try container.encode(status, forKey: .status)
            if hosts != nil { try container.encode(hostStatuses, forKey: .hosts) }
        }
    }

    public struct Entry: Sendable, Equatable, Codable, FetchableRecord {
        public var id: Int64
        public var runID: Int64
        public var key: String
        public var vendor: String
        public var product: String
        public var version: String
        public var imagePath: String
        public var imageSize: Int64
        public var imageSHA256: String
        public var profileDigest: String
        public var scenarioDigest: String
        public var verdict: QueueVerdict
        public var exitCode: Int32
        public var seconds: Double
        public var flakyFirstVerdict: QueueVerdict?
        public var problem: String?
        public var reportPath: String?
        public var timelines: String
        public var consoleLogs: String
        /// The libvirt host that ran the boots (a fleet's URI); nil: this machine.
        public var host: String?
        /// `kvm` or `tcg`, when the entry was booted.
        public var accelerator: String?
        /// JSON: the first check of an entry checked twice (``firstAttemptRecord``).
        public var firstAttempt: String?
        /// JSON: what the check found in the guest (``checkedSoftware``).
        public var software: String?
        /// Carried over unchanged (`--incremental`) from this run's full check; nil: checked.
        public var carriedFrom: Int64?
        /// The profile's boot budget for the image's OS family, in seconds
        /// under the entry's accelerator; nil: none.
        public var bootBudget: Double?
        /// libvirt's, QEMU's and the kernel's versions on the host of its boots.
        public var hostVersions: String?
        /// JSON: how each check ended when it was checked several times (``repeatedChecks``).
        public var repeated: String?
        /// Why an `error` verdict was one; nil for a verdict.
        public var errorCode: ImageGateError.Code?

        public var checkedSoftware: CheckedSoftware? {
            // The history wrote this JSON itself; a damaged row has nothing to compare.
            software.flatMap { try? JSONDecoder().decode(CheckedSoftware.self, from: Data($0.utf8)) }
        }
    }

    public struct StoredFinding: Sendable, Equatable, Codable, FetchableRecord {
        public var entryID: Int64
        public var rule: String
        public var severity: String
        public var outcome: String
        public var found: String
        public var evidence: String
        public var waived: String?
    }

    /// What one entry's check produced, to be recorded.
    public struct Outcome: Sendable {
        public var entry: QueueManifest.Entry
        public var imageSize: Int64
        public var imageSHA256: String
        public var profileDigest: String
        public var scenarioDigest: String
        public var verdict: QueueVerdict = .error
        public var exitCode: Int32 = ImageGateError.Code.infrastructure.exitStatus
        public var seconds: Double = 0
        public var flakyFirstVerdict: QueueVerdict?
        public var problem: String?
        public var reportPath: String?
        public var timelines: [String: [String: Double]]
        public var consoleLogs: [String]
        public var findings: [Finding]
        /// The libvirt host that ran the boots (a fleet's URI); nil: this machine.
        public var host: String?
        /// The accelerator the boots ran under; nil when nothing was booted.
        public var accelerator: Accelerator?
        /// The first check, when this outcome is the second.
        public var firstAttempt: FirstAttempt?
        /// What the check found in the guest.
        public var software: CheckedSoftware?
        /// The profile's boot budget, stretched for the accelerator.
        public var bootBudget: Double?
        /// What the host of the boots runs.
        public var hostVersions: String?
        /// The entry's checks, when it was checked several times.
        public var repeated: RepeatedChecks?
        /// Why the verdict is `error`; nil for a verdict.
        public var errorCode: ImageGateError.Code?

        /// An entry that could not be checked: `error`, exiting as `code` says.
        init(entry: QueueManifest.Entry, imageSize: Int64, imageSHA256: String = "", failedWith code: ImageGateError.Code, problem: String? = nil) {
            self.entry = entry
            self.imageSize = imageSize
            self.imageSHA256 = imageSHA256
            profileDigest = ""
            scenarioDigest = ""
            timelines = [:]
            consoleLogs = []
            findings = []
            self.problem = problem
            record(code)
        }

        mutating func record(_ verdict: GateVerdict) {
            self.verdict = QueueVerdict(verdict)
            exitCode = verdict.exitStatus
            errorCode = nil
        }

        mutating func record(_ code: ImageGateError.Code) {
            verdict = .error
            exitCode = code.exitStatus
            errorCode = code
        }

        /// Whether the machinery failed (not the input, not the image, not
        /// a candidate written during its check): worth a retry.
        var isInfrastructureError: Bool { errorCode == .infrastructure }
    }

    // MARK: - Writing

    /// Starts a run of `manifest`; returns its ID.
    public func startRun(_ manifest: QueueManifest) throws -> Int64 {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO run (manifest, manifestDigest, imagegateVersion, catalogueDigest, startedAt, status)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [manifest.source, manifest.digest, ImageGateVersion.current, RuleCatalogue.digest, Self.now(),
                                 QueueRunStatus.running.rawValue])
            return db.lastInsertedRowID
        }
    }

    public func endRun(_ id: Int64, status: QueueRunStatus) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE run SET endedAt = ?, status = ? WHERE id = ?", arguments: [Self.now(), status.rawValue, id])
        }
    }

    /// Records how the fleet's hosts fared in run `id`.
    public func recordHosts(_ hosts: [Fleet.HostStatus], run id: Int64) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(hosts), as: UTF8.self)
        try database.write { db in
            try db.execute(sql: "UPDATE run SET hosts = ? WHERE id = ?", arguments: [json, id])
        }
    }

    /// Records one entry and its findings in one transaction.
    public func record(_ outcome: Outcome, run: Int64) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let timelines = String(decoding: try encoder.encode(outcome.timelines), as: UTF8.self)
        let logs = String(decoding: try encoder.encode(outcome.consoleLogs), as: UTF8.self)
        let firstAttempt = try outcome.firstAttempt.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let software = try outcome.software.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let repeated = try outcome.repeated.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let evidence = try outcome.findings.map { String(decoding: try encoder.encode($0.evidence.map(\.description)), as: UTF8.self) }
        try database.write { db in
            let e = outcome.entry
            try db.execute(sql: """
                INSERT INTO entry (runID, key, vendor, product, version, imagePath, imageSize, imageSHA256, profileDigest,
                                   scenarioDigest, verdict, exitCode, seconds, flakyFirstVerdict, problem, reportPath, timelines, consoleLogs, host,
                                   accelerator, firstAttempt, software, bootBudget, hostVersions, repeated, errorCode)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run, e.key, e.vendor, e.product, e.version, e.image, outcome.imageSize, outcome.imageSHA256,
                                 outcome.profileDigest, outcome.scenarioDigest, outcome.verdict, outcome.exitCode, outcome.seconds,
                                 outcome.flakyFirstVerdict, outcome.problem, outcome.reportPath, timelines, logs, outcome.host,
                                 outcome.accelerator?.rawValue, firstAttempt, software, outcome.bootBudget, outcome.hostVersions, repeated,
                                 outcome.errorCode?.rawValue])
            let entryID = db.lastInsertedRowID
            for (finding, evidence) in zip(outcome.findings, evidence) {
                try db.execute(sql: """
                    INSERT INTO finding (entryID, rule, severity, outcome, found, evidence, waived) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [entryID, finding.rule, finding.severity.rawValue, finding.outcome.rawValue, finding.found,
                                     evidence, finding.waived])
            }
        }
    }

    /// Records `entry` again in run `run`, findings and all, as carried
    /// over from its full check.
    public func recordCarriedOver(_ entry: Entry, run: Int64) throws {
        try database.write { db in
            let from = entry.carriedFrom ?? entry.runID
            try db.execute(sql: """
                INSERT INTO entry (runID, key, vendor, product, version, imagePath, imageSize, imageSHA256, profileDigest, scenarioDigest,
                                   verdict, exitCode, seconds, flakyFirstVerdict, problem, reportPath, timelines, consoleLogs, host, accelerator,
                                   firstAttempt, software, carriedFrom, bootBudget, hostVersions)
                SELECT ?, key, vendor, product, version, imagePath, imageSize, imageSHA256, profileDigest, scenarioDigest,
                       verdict, exitCode, 0, NULL, ?, reportPath, timelines, consoleLogs, host, accelerator, NULL, software, ?, bootBudget, hostVersions
                FROM entry WHERE id = ?
                """, arguments: [run, "unchanged since run \(from)", from, entry.id])
            let id = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO finding (entryID, rule, severity, outcome, found, evidence, waived)
                SELECT ?, rule, severity, outcome, found, evidence, waived FROM finding WHERE entryID = ? ORDER BY rowid
                """, arguments: [id, entry.id])
        }
    }

    // MARK: - Reading

    public func run(_ id: Int64) throws -> Run? {
        try database.read { db in try Run.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]) }
    }

    /// The latest run of `manifest` (by path) that did not finish.
    public func unfinishedRun(of manifest: String) throws -> Run? {
        try database.read { db in
            try Run.fetchOne(db, sql: "SELECT * FROM run WHERE manifest = ? AND status != ? ORDER BY id DESC LIMIT 1",
                             arguments: [manifest, QueueRunStatus.finished.rawValue])
        }
    }

    /// Runs of `manifest`, newest first (all runs without one).
    public func runs(of manifest: String? = nil) throws -> [Run] {
        try database.read { db in
            if let manifest {
                return try Run.fetchAll(db, sql: "SELECT * FROM run WHERE manifest = ? ORDER BY id DESC", arguments: [manifest])
            }
            return try Run.fetchAll(db, sql: "SELECT * FROM run ORDER BY id DESC")
        }
    }

    public func entries(run: Int64) throws -> [Entry] {
        try database.read { db in try Entry.fetchAll(db, sql: "SELECT * FROM entry WHERE runID = ? ORDER BY key", arguments: [run]) }
    }

    /// The entries of `key` in the finished runs before run `run`, newest first.
    public func earlierEntries(key: String, before run: Int64, limit: Int) throws -> [Entry] {
        try database.read { db in
            try Entry.fetchAll(db, sql: """
                SELECT entry.* FROM entry JOIN run ON run.id = entry.runID
                WHERE entry.key = ? AND entry.runID < ? AND run.status = ? ORDER BY entry.runID DESC LIMIT ?
                """, arguments: [key, run, QueueRunStatus.finished.rawValue, limit])
        }
    }

    /// The seconds of each key's latest check before run `run` (carried-over
    /// entries took none), by key.
    public func latestCheckSeconds(before run: Int64) throws -> [String: Double] {
        try database.read { db in
            var seconds: [String: Double] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT key, seconds FROM entry WHERE runID < ? AND carriedFrom IS NULL ORDER BY runID
                """, arguments: [run])
            while let row = try rows.next() { seconds[row["key"]] = row["seconds"] }
            return seconds
        }
    }

    public func findings(entry: Int64) throws -> [StoredFinding] {
        try database.read { db in
            try StoredFinding.fetchAll(db, sql: "SELECT * FROM finding WHERE entryID = ? ORDER BY rowid", arguments: [entry])
        }
    }

    /// Every recorded check of an image (by path or SHA-256), or of a
    /// vendor's images, newest first, with the run each belongs to.
    public func history(image: String? = nil, vendor: String? = nil) throws -> [(Run, Entry)] {
        try database.read { db in
            let entries: [Entry]
            if let vendor {
                entries = try Entry.fetchAll(db, sql: "SELECT * FROM entry WHERE vendor = ? ORDER BY runID DESC, key", arguments: [vendor])
            } else {
                entries = try Entry.fetchAll(db, sql: "SELECT * FROM entry WHERE imagePath = ? OR imageSHA256 = ? ORDER BY runID DESC",
                                             arguments: [image ?? "", image ?? ""])
            }
            return try entries.compactMap { entry in
                try Run.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [entry.runID]).map { ($0, entry) }
            }
        }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}

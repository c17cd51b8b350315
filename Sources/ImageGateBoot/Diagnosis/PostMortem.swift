import Foundation
import Guestfs
import ImageGateInspection
import ImageGateModel

/// What the guest wrote during its boot, read after the instance stopped:
/// its overlay (the candidate's disk as the boot left it) opened read-only
/// in a libguestfs appliance, never by running the guest's tools. Every
/// read is bounded: a log keeps its last ``Bounds/fileBytes``, the journal
/// its last ``Bounds/journalEntries`` entries of the last boot.
public struct PostMortem: Sendable, Codable, Equatable {
    /// One file of the guest, or its tail.
    public struct GuestFile: Sendable, Codable, Equatable {
        public var path: String
        public var text: String
        /// Only the file's end was kept.
        public var truncated: Bool
        /// The number in the whole file of the first line kept; 0 when the
        /// file is too large to count its lines (``Bounds/countedBytes``).
        public var firstLine: Int

        public init(path: String, text: String, truncated: Bool, firstLine: Int) {
            self.path = path
            self.text = text
            self.truncated = truncated
            self.firstLine = firstLine
        }

        public var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }
    }

    /// One journal entry of the last boot.
    public struct JournalLine: Sendable, Codable, Equatable {
        /// Seconds since the boot began (the journal's monotonic clock), if recorded.
        public var seconds: Double?
        /// `_SYSTEMD_UNIT`, else `SYSLOG_IDENTIFIER`, else `kernel`.
        public var source: String
        /// syslog priority: 0 emergency … 3 error, 4 warning … 7 debug.
        public var priority: Int
        public var message: String
        /// Its position among the kept entries, from 1.
        public var number: Int

        public init(seconds: Double? = nil, source: String, priority: Int, message: String, number: Int) {
            self.seconds = seconds
            self.source = source
            self.priority = priority
            self.message = message
            self.number = number
        }
    }

    public struct Bounds: Sendable {
        public var fileBytes = 256 << 10
        public var journalEntries = 3000
        public var journalFieldBytes: Int64 = 2048
        public var files = 64
        /// Lines are counted (in the appliance, to number the tail's) only
        /// in files up to this size: counting reads the whole file.
        public var countedBytes: Int64 = 64 << 20
        public init() {}
    }

    public var files: [GuestFile] = []
    public var journal: [JournalLine] = []
    /// Older entries of the boot were left out (``Bounds/journalEntries``).
    public var journalTruncated = false
    /// What could not be read, and why.
    public var problems: [String] = []

    public init(files: [GuestFile] = [], journal: [JournalLine] = [], journalTruncated: Bool = false, problems: [String] = []) {
        self.files = files
        self.journal = journal
        self.journalTruncated = journalTruncated
        self.problems = problems
    }

    /// The files read: logs, cloud-init's state, the network configuration
    /// it rendered (netplan, ifupdown, RHEL network-scripts,
    /// NetworkManager, systemd-networkd), fstab and the hostname.
    public static let paths = [
        "/var/log/cloud-init.log", "/var/log/cloud-init-output.log",
        "/var/lib/cloud/data/result.json", "/var/lib/cloud/data/status.json",
        "/etc/fstab", "/etc/hostname", "/etc/network/interfaces",
    ]
    static let folders = [
        "/etc/netplan", "/etc/network/interfaces.d", "/etc/sysconfig/network-scripts",
        "/etc/NetworkManager/system-connections", "/etc/systemd/network",
    ]

    /// Collects from `overlay` (qcow2; its backing file is the candidate's
    /// validated open file) what the boot that began at `since` wrote.
    public static func collect(overlay: String, since: Date, accelerator: Accelerator, state: StateDirectory = .default,
                               bounds: Bounds = Bounds()) async throws -> PostMortem {
        let scratch = try state.scratch()
        return try await Handle.withHandle({ try Appliance.handle(accelerator: accelerator) }) { handle in
            try await handle.setTemporaryDirectory(scratch)
            try await handle.addDrive(overlay, format: "qcow2", readOnly: true)
            try await handle.launch()
            // Finding the root reads os-release, fstab and the dpkg database
            // under the usual limits; the logs are read by ``tail(of:handle:bounds:)``.
            let fs = GuestfsFilesystem(handle: handle, scratch: scratch)
            var result = PostMortem()
            let layout = try await DiskLayout.probe(handle)
            switch try await RootDiscovery(handle: handle, fs: fs).discover(layout) {
            case .found:
                break
            case .unsure(let reason):
                // Anything but the plain case: libguestfs's inspection mounts it.
                try await handle.unmountAll()
                guard let root = try await handle.inspectOS().first else {
                    result.problems.append("the guest's root filesystem was not found: \(reason)")
                    return result
                }
                let inspection = try await handle.inspect(root: root)
                try await handle.mountReadOnly(inspection.mountpoints)
            }
            var paths = Self.paths
            for folder in folders {
                // A folder the guest did not write is simply not quoted.
                guard let names = try? await fs.entries(in: folder) else { continue }
                paths += names.filter { $0.value == .file }.keys.sorted().map { folder + "/" + $0 }
            }
            for path in paths.prefix(bounds.files) {
                do {
                    // A symlink is followed inside the guest, never by the appliance.
                    let target = try await fs.resolve(path).last ?? path
                    if var file = try await tail(of: target, handle: handle, bounds: bounds) {
                        file.path = path
                        result.files.append(file)
                    }
                } catch {
                    result.problems.append("\(path): \(error)")
                }
            }
            if paths.count > bounds.files { result.problems.append("\(paths.count - bounds.files) configuration files not read (at most \(bounds.files))") }
            do {
                (result.journal, result.journalTruncated) = try await lastBoot(handle: handle, since: since, bounds: bounds)
                if result.journal.isEmpty { result.problems.append("the journal holds no entry of this boot (journald never ran, or kept its journal in memory)") }
            } catch {
                result.problems.append("the journal: \(error)")
            }
            return result
        }
    }

    /// The file's last `bytes` (a regular file only: a FIFO would block the
    /// appliance); `path` has no symlink left to follow.
    static func tail(of path: String, handle: Handle, bounds: Bounds) async throws -> GuestFile? {
        let bytes = bounds.fileBytes
        let status: FileStatus
        do {
            status = try await handle.stat(path)
        } catch let error as GuestfsError where error.errno == ENOENT || error.errno == ENOTDIR {
            return nil
        }
        guard GuestfsFilesystem.kind(status) == .file else { return nil }
        let start = max(0, status.size - Int64(bytes))
        var data = try await handle.readFile(path, from: start, limit: bytes)
        var firstLine = 1
        if start > 0 {
            if let newline = data.firstIndex(of: 10) { data.removeSubrange(...newline) }  // from a whole line on
            // The lines before the tail: all the file's, less the tail's.
            let kept = data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (data.last == 10 || data.isEmpty ? 0 : 1)
            firstLine = status.size > bounds.countedBytes ? 0 : try await handle.lineCount(path) + (data.last == 10 ? 0 : 1) - kept + 1
        }
        return GuestFile(path: path, text: TerminalText.sanitize(String(decoding: data, as: UTF8.self)), truncated: start > 0, firstLine: firstLine)
    }

    /// The entries of the journal's last boot, newest last, at most
    /// `bounds.journalEntries` of them (walking back from the end).
    static func lastBoot(handle: Handle, since: Date, bounds: Bounds) async throws -> ([JournalLine], Bool) {
        // No readable journal folder: the problems list says so below.
        guard (try? await handle.isDirectory("/var/log/journal", followSymlinks: true)) == true else {
            throw PostMortemError("no /var/log/journal: the guest keeps its journal in memory only")
        }
        try await handle.journalOpen("/var/log/journal")
        do {
            let lines = try await readLastBoot(handle: handle, since: since, bounds: bounds)
            try await handle.journalClose()
            return lines
        } catch {
            // Closing a journal that failed to open: nothing to report beyond the open's own error.
            try? await handle.journalClose()
            throw error
        }
    }

    private static func readLastBoot(handle: Handle, since: Date, bounds: Bounds) async throws -> ([JournalLine], Bool) {
        try await handle.journalSetDataThreshold(bounds.journalFieldBytes)
        // To the last entry, then back one at a time while the boot is the
        // last entry's. A last entry older than this boot (the guest's clock
        // is the host's) is another boot's: the image builder's, say.
        guard try await handle.journalSkip(Int64(Int32.max)) > 0 else { return ([], false) }
        let last = Double(try await handle.journalRealtimeMicroseconds()) / 1_000_000
        guard last >= since.timeIntervalSince1970 - 120 else {
            throw PostMortemError("its newest entry is from before this boot: the guest journaled nothing of it to disk")
        }
        var lines: [JournalLine] = [], boot: [UInt8]?
        var truncated = false
        while true {
            let fields = try await handle.journalEntry()
            if boot == nil { boot = fields["_BOOT_ID"] }
            guard fields["_BOOT_ID"] == boot else { break }
            if lines.count == bounds.journalEntries { truncated = true; break }
            lines.append(journalLine(fields))
            guard try await handle.journalSkip(-1) == 1 else { break }
        }
        lines.reverse()
        // What followed ImageGate's SysRq sync is the teardown, not the boot.
        if let sync = lines.firstIndex(where: { $0.source == "kernel" && $0.message.hasPrefix(FirstBoot.sysRqSyncMessage) }) {
            lines.removeSubrange(sync...)
        }
        for index in lines.indices { lines[index].number = index + 1 }
        return (lines, truncated)
    }

    /// One journal entry's fields as a line of the diagnosis (every value
    /// the guest's: sanitized; a missing one defaulted).
    public static func journalLine(_ fields: [String: [UInt8]]) -> JournalLine {
        func text(_ name: String) -> String? { fields[name].map { TerminalText.sanitize(String(decoding: $0, as: UTF8.self)) } }
        let source = text("_SYSTEMD_UNIT") ?? text("SYSLOG_IDENTIFIER") ?? (text("_TRANSPORT") == "kernel" ? "kernel" : "?")
        let monotonic = text("_SOURCE_MONOTONIC_TIMESTAMP").flatMap(Double.init) ?? fields["__MONOTONIC_TIMESTAMP"].flatMap { Double(String(decoding: $0, as: UTF8.self)) }
        return JournalLine(seconds: monotonic.map { $0 / 1_000_000 }, source: source, priority: text("PRIORITY").flatMap(Int.init) ?? 6,
                           message: text("MESSAGE") ?? "", number: 0)
    }
}

struct PostMortemError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import CGuestfs
import Foundation

/// The systemd journal of the mounted guest through libguestfs's
/// `journal_*` calls: the journal files are read inside the appliance with
/// its own sd-journal, never by running the guest's tools. One journal is
/// open at a time per handle.
extension Handle {
    /// Opens the journal files under `directory` (a path in the mounted
    /// guest, usually `/var/log/journal`); the position is before the first entry.
    public func journalOpen(_ directory: String) async throws {
        try await run { h in _ = try h.call("journal_open \(directory)") { guestfs_journal_open($0, directory) } }
    }

    public func journalClose() async throws {
        try await run { h in _ = try h.call("journal_close") { guestfs_journal_close($0) } }
    }

    /// Moves `count` entries forwards (or backwards, when negative); the
    /// number of entries actually moved over.
    public func journalSkip(_ count: Int64) async throws -> Int64 {
        try await run { h in
            try h.call("journal_skip") { g -> Int64? in
                let moved = guestfs_journal_skip(g, count)
                return moved < 0 ? nil : moved
            }
        }
    }

    /// Fields longer than `bytes` are returned cut to that length.
    public func journalSetDataThreshold(_ bytes: Int64) async throws {
        try await run { h in _ = try h.call("journal_set_data_threshold") { guestfs_journal_set_data_threshold($0, bytes) } }
    }

    /// The fields of the entry at the current position (`MESSAGE`,
    /// `_SYSTEMD_UNIT`, `_BOOT_ID`, …), each as the bytes the guest wrote.
    public func journalEntry() async throws -> [String: [UInt8]] {
        try await run { h in
            let list = try h.call("journal_get") { guestfs_journal_get($0) }
            defer { guestfs_free_xattr_list(list) }
            var fields: [String: [UInt8]] = [:]
            for index in 0..<Int(list.pointee.len) {
                let field = list.pointee.val[index]
                let bytes = field.attrval.map { UnsafeRawBufferPointer(start: $0, count: Int(field.attrval_len)) }.map(Array.init) ?? []
                fields[String(cString: field.attrname)] = bytes
            }
            return fields
        }
    }

    /// The entry's time, microseconds since the epoch.
    public func journalRealtimeMicroseconds() async throws -> Int64 {
        try await run { h in
            try h.call("journal_get_realtime_usec") { g -> Int64? in
                let usec = guestfs_journal_get_realtime_usec(g)
                return usec < 0 ? nil : usec
            }
        }
    }
}

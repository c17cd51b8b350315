import Foundation
import ImageGateModel

/// When this machine last used each candidate cached on one remote host:
/// the order a full pool evicts them in (least recently used first;
/// candidates this machine never used, e.g. another reviewer's, count as
/// the oldest). A small JSON file in the state folder, written atomically.
package final class CandidateLedger: @unchecked Sendable {
    let path: String
    private let lock = NSLock()

    package init(path: String) {
        self.path = path
    }

    private func load() -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
              // A damaged ledger is started anew: it only orders eviction.
              let entries = try? JSONDecoder().decode([String: Double].self, from: data) else { return [:] }
        return entries
    }

    private func save(_ entries: [String: Double]) {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try JSONEncoder().encode(entries).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            Log.warning("could not write the candidate ledger \(path): \(error)")
        }
    }

    package func touch(_ name: String, at time: Date = Date()) {
        lock.withLock {
            var entries = load()
            entries[name] = time.timeIntervalSince1970
            save(entries)
        }
    }

    func forget(_ name: String) {
        lock.withLock {
            var entries = load()
            entries[name] = nil
            save(entries)
        }
    }

    /// `names` ordered least recently used first.
    package func leastRecentlyUsedFirst(_ names: [String]) -> [String] {
        let entries = lock.withLock { load() }
        return names.sorted { (entries[$0] ?? 0, $0) < (entries[$1] ?? 0, $1) }
    }
}

/// The order in which a run admits its entries: longest first, by the
/// seconds each took at its latest check in this history (the
/// longest-processing-time rule test farms split their shards by). A long
/// entry admitted last keeps one slot busy while the others idle; admitted
/// first, the short ones fill the other slots around it. An entry never
/// checked before comes ahead of them all, in the manifest's order: its
/// length is unknown and may be the longest.
struct QueueOrder: Sendable {
    /// Seconds of each entry's latest check, by key.
    let expected: [String: Double]
    /// Each entry's place in the manifest, by key: the order among equals.
    let position: [String: Int]

    init(manifest: QueueManifest, expected: [String: Double]) {
        self.expected = expected
        position = Dictionary(manifest.entries.enumerated().map { ($1.key, $0) }) { first, _ in first }
    }

    /// `items` in admission order; `key` names each item's entry.
    func sorted<Item>(_ items: [Item], key: (Item) -> String) -> [Item] {
        items.sorted { a, b in
            let (keyA, keyB) = (key(a), key(b))
            let (secondsA, secondsB) = (expected[keyA] ?? .infinity, expected[keyB] ?? .infinity)
            if secondsA != secondsB { return secondsA > secondsB }
            return position[keyA, default: .max] < position[keyB, default: .max]
        }
    }

    /// How many of `entries` an earlier check timed.
    func timed(_ entries: [QueueManifest.Entry]) -> Int { entries.filter { expected[$0.key] != nil }.count }
}

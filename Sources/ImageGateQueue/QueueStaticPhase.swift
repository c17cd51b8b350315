import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// The static phases of several entries in one appliance (``StaticBatch``).
/// The images are hashed while the appliance launches, and an entry
/// checked statically only is hashed again the moment its inspection is
/// over, while the appliance goes on with the next (read-only drives: the
/// digests are what they would be before and after). An entry that cannot
/// be prepared, or whose digest fails, is left to its own check, which
/// records why.
struct QueueStaticPhase: Sendable {
    var host: any VirtualMachineHost
    var progress: @Sendable (String) -> Void

    func prepare(_ entries: [ResolvedEntry]) async -> [PreparedEntry] {
        var prepared = entries.map { PreparedEntry(entry: $0) }
        // Without an accelerator no batch is prepared: each entry then runs alone and records its own error.
        guard let accelerator = try? await AcceleratorProbe(host: host).chooseOnce().accelerator else { return prepared }
        var items: [StaticBatch.Item] = [], itemOwners: [Int] = []
        for (index, resolved) in entries.enumerated() {
            // An entry that cannot be prepared runs alone and records its own error.
            guard (try? resolved.entry.requireConfined()) != nil, let runner = try? resolved.check().runner,
                  let image = try? await ImageFile.validate(resolved.entry.image, limits: runner.profile.limits) else { continue }
            items.append(.init(image: image, inspector: StaticInspector(profile: runner.effectiveProfile, accelerator: accelerator)))
            itemOwners.append(index)
        }
        guard !items.isEmpty else { return prepared }
        progress("static inspection of \(items.count) image\(items.count == 1 ? "" : "s") in one appliance")
        let images = items.map(\.image), staticOnly = itemOwners.map { !entries[$0].entry.boot }
        let digests = BackgroundDigests<DigestKey>()
        for (item, image) in images.enumerated() { await digests.start(.before(item), of: image) }
        // What a crashed run left in the scratch and run folders goes first.
        LeftoverReaper().reapProcessesAndFolders()
        var batch = StaticBatch(accelerator: accelerator)
        batch.maxDrives = max(1, items.count)
        let keys = itemOwners.map { entries[$0].entry.key }
        let progress = self.progress
        batch.progress = { item, note in progress("\(keys[item]): \(note)") }
        batch.itemDone = { item in if staticOnly[item] { await digests.start(.after(item), of: images[item]) } }
        let results = await batch.inspect(items)
        guard !Task.isCancelled else { return prepared }
        for (item, result) in results.enumerated() {
            guard let before = await digests.digest(.before(item)), case .success(let inspection) = result else { continue }
            prepared[itemOwners[item]].image = images[item]
            prepared[itemOwners[item]].digestBefore = before
            prepared[itemOwners[item]].digestAfterInspection = await digests.digest(.after(item))
            prepared[itemOwners[item]].inspection = inspection
        }
        return prepared
    }

    private enum DigestKey: Hashable, Sendable {
        case before(Int), after(Int)
    }
}

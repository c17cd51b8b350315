import Foundation
import Guestfs
import ImageGateModel

/// The static phase of several images in one libguestfs appliance: one
/// read-only drive per image, up to ``maxDrives``, inspected one after the
/// other — one appliance launch (15–25 s under TCG) for the batch instead of
/// one per image.
///
/// One image cannot sink its batch: an image whose inspection kills the
/// appliance is inspected again alone, and the images after it get a new
/// appliance. An image the batch cannot judge on its own disk (LVM, or an
/// OS libguestfs's inspection does not place on that disk) is inspected
/// alone too.
public struct StaticBatch: Sendable {
    /// One image and the inspector (profile, rules) it is judged with.
    public struct Item: Sendable {
        public var image: ImageFile
        public var inspector: StaticInspector

        public init(image: ImageFile, inspector: StaticInspector) {
            self.image = image
            self.inspector = inspector
        }
    }

    public var accelerator: Accelerator
    public var state: StateDirectory = .default
    /// Drives per appliance.
    public var maxDrives = 8
    /// What happened to each image, for the log: `inspected alone: why`.
    public var progress: @Sendable (Int, String) -> Void = { _, _ in }
    /// Called with an item's index once its inspection is over (whatever
    /// its result): nothing reads that image again.
    public var itemDone: @Sendable (Int) async -> Void = { _ in }
    /// Fault injection for tests: called as the inspection of the item at
    /// that index begins, with the appliance it runs in.
    package var beforeItem: @Sendable (Int, Handle) async -> Void = { _, _ in }

    public init(accelerator: Accelerator) {
        self.accelerator = accelerator
    }

    /// The inspection of every item, in the items' order; one item's error
    /// is that item's result.
    public func inspect(_ items: [Item]) async -> [Result<InspectionResult, any Error>] {
        var results = [Result<InspectionResult, any Error>?](repeating: nil, count: items.count)
        var pending = Array(items.indices)
        var alone: [Int] = []
        while !pending.isEmpty, !Task.isCancelled {
            let batch = Array(pending.prefix(maxDrives))
            if batch.count == 1 {
                alone.append(batch[0])
                pending.removeAll()
                break
            }
            do {
                let (done, ownAppliance) = try await inspect(batch, of: items)
                for (index, result) in done { results[index] = result }
                alone += ownAppliance
                let finished = Set(done.keys).union(ownAppliance)
                pending.removeAll { finished.contains($0) }
                // The appliance died on the first unfinished image: it goes
                // alone, the rest into a new batch.
                if let crashed = batch.first(where: { !finished.contains($0) }) {
                    progress(crashed, "the shared appliance died during this image; inspecting it alone")
                    alone.append(crashed)
                    pending.removeAll { $0 == crashed }
                }
            } catch {
                // The batch's appliance did not start: each image alone, so
                // that the error is attributed to the image that caused it.
                alone += batch
                pending.removeAll { batch.contains($0) }
            }
        }
        for index in alone.sorted() where results[index] == nil && !Task.isCancelled {
            do {
                results[index] = .success(try await items[index].inspector.inspect(items[index].image))
            } catch {
                results[index] = .failure(error)
            }
            await itemDone(index)
        }
        return results.map { $0 ?? .failure(CancellationError()) }
    }

    /// One appliance for `batch`: the results it reached, and the images
    /// that need an appliance of their own. Stops at the first image whose
    /// inspection left the appliance dead.
    private func inspect(_ batch: [Int], of items: [Item]) async throws -> ([Int: Result<InspectionResult, any Error>], [Int]) {
        let scratch = try state.scratch()
        return try await Handle.withHandle({ try Appliance.handle(accelerator: accelerator) }) { handle in
            try await handle.setTemporaryDirectory(scratch)
            for index in batch {
                try await handle.addDrive(items[index].image.accessPath, format: items[index].image.format, readOnly: true)
            }
            try Task.checkCancellation()
            try await handle.launch()
            let drives = try await handle.devices()
            guard drives.count == batch.count else {
                throw GuestfsError(message: "\(batch.count) drives added, the appliance lists \(drives.count)", operation: "list_devices")
            }
            let shared = SharedAppliance(handle: handle)
            var done: [Int: Result<InspectionResult, any Error>] = [:]
            var ownAppliance: [Int] = []
            for (drive, index) in zip(drives, batch) {
                try Task.checkCancellation()
                await beforeItem(index, handle)
                do {
                    done[index] = .success(try await items[index].inspector.inspect(items[index].image, drive: drive, in: handle, scratch: scratch, shared: shared))
                    await itemDone(index)
                } catch let reason as StaticInspector.NeedsOwnAppliance {
                    progress(index, "inspected alone: \(reason)")
                    ownAppliance.append(index)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    guard await handle.isApplianceAlive() else { break }
                    done[index] = .failure(error)
                    await itemDone(index)
                }
            }
            return (done, ownAppliance)
        }
    }
}

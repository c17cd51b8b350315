import Foundation
@testable import ImageGate
@testable import ImageGateInspection

extension StaticBatch {
    /// The items in `appliances` shared appliances at once, each taking a
    /// contiguous share, as the queue spreads its static entries over its
    /// jobs: an appliance emulates one vCPU, so under TCG each one started
    /// alongside another takes a core that would otherwise idle. Results
    /// in the items' order; `progress` and `itemDone` get indices into `items`.
    func inspect(_ items: [Item], appliancesAtOnce appliances: Int) async -> [Result<InspectionResult, any Error>] {
        let share = (items.count + max(1, appliances) - 1) / max(1, appliances)
        let starts = Array(stride(from: 0, to: items.count, by: max(1, share)))
        return await withTaskGroup(of: (Int, [Result<InspectionResult, any Error>]).self) { group in
            for start in starts {
                var lane = self
                lane.maxDrives = share
                let progress = self.progress, itemDone = self.itemDone
                lane.progress = { progress(start + $0, $1) }
                lane.itemDone = { await itemDone(start + $0) }
                let slice = Array(items[start..<min(start + share, items.count)])
                group.addTask { (start, await lane.inspect(slice)) }
            }
            var results = [Result<InspectionResult, any Error>](repeating: .failure(CancellationError()), count: items.count)
            for await (start, lane) in group {
                for (offset, result) in lane.enumerated() { results[start + offset] = result }
            }
            return results
        }
    }
}

import Foundation
import ImageGate
import ImageGateInspection
import ImageGateModel

/// One attempt at a queue entry, as the attempt policy hands it to the
/// check: the entry, the check its files resolved to (on this attempt's
/// host), the static phase a shared appliance already did for it, and the
/// attempt's number (1, then 2, 3… for retries and repeated checks).
struct EntryCheck: Sendable {
    var entry: QueueManifest.Entry
    var runner: CheckRunner
    var prepared: PreparedEntry?
    var attempt: Int

    /// What the queue runs for an attempt. The real one inspects and boots;
    /// a test's returns a report it made, or throws, in milliseconds.
    typealias Function = @Sendable (EntryCheck) async throws -> CheckReport

    /// `imagegate check` of the entry, its static phase reused where a
    /// shared appliance did it.
    static let real: Function = { check in
        if let prepared = check.prepared, let image = prepared.image, let inspection = prepared.inspection {
            return try await check.runner.run(image, inspected: inspection, digestBefore: prepared.digestBefore,
                                              digestAfterInspection: prepared.digestAfterInspection)
        }
        return try await check.runner.run(check.entry.image)
    }
}

/// An entry whose image was validated and whose static phase ran in a
/// shared appliance (``QueueStaticPhase``). Where either failed,
/// `inspection` is nil and the entry's check does it all again on its own,
/// which reports the error.
struct PreparedEntry: Sendable {
    var entry: ResolvedEntry
    var image: ImageFile?
    var digestBefore: String?
    var digestAfterInspection: String?
    var inspection: InspectionResult?
}

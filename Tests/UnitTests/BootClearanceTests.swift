import ImageGate
import ImageGateBoot
import XCTest

/// A boot begun before it is known that it should happen waits for its
/// clearance, and an abandonment or an interruption ends the wait.
final class BootClearanceTests: XCTestCase {
    func testAClearedBootGoesOnAtOnceOrWhenCleared() async throws {
        let early = BootClearance()
        early.clear()
        try await early.wait()

        let late = BootClearance()
        let waiting = Task { try await late.wait() }
        try await Task.sleep(for: .milliseconds(100))
        late.clear()
        try await waiting.value
        XCTAssertFalse(late.isAbandoned)
    }

    func testAnAbandonedBootStopsWaitingAndClearingItLaterChangesNothing() async throws {
        let clearance = BootClearance()
        let waiting = Task { try await clearance.wait() }
        try await Task.sleep(for: .milliseconds(100))
        clearance.abandon()
        clearance.clear()
        let result = await waiting.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertTrue(clearance.isAbandoned)
        do {
            try await clearance.wait()
            XCTFail("an abandoned boot was let through")
        } catch is CancellationError {}
    }

    func testAnInterruptedWaitEndsWithoutAnAnswer() async throws {
        let clearance = BootClearance()
        let waiting = Task { try await clearance.wait() }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        let result = await waiting.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertFalse(clearance.isAbandoned, "an interruption is not an abandonment")
    }
}

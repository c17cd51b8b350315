import ImageGate
import ImageGateModel
import ImageGateQueue
import XCTest

/// Every exit status comes from one place: verdicts from ``GateVerdict``,
/// errors from ``ImageGateError/Code``; the queue ranks its verdicts by type.
final class ExitStatusTests: XCTestCase {
    func testEachOutcomeHasItsDocumentedStatus() {
        XCTAssertEqual(GateVerdict.allCases.map(\.exitStatus), [0, 1, 4])
        XCTAssertEqual(ImageGateError.Code.allCases.map(\.exitStatus), [2, 3, 3, 130])
        XCTAssertEqual(ImageGateError.code(of: CancellationError()), .interrupted)
        XCTAssertEqual(ImageGateError.code(of: CocoaError(.fileNoSuchFile)), .infrastructure, "a stray library error is the machine's")
        XCTAssertEqual(ImageGateError.code(of: ImageGateError.badInput("x")), .badInput)
    }

    func testQueueVerdictsRankFromBestToWorst() {
        XCTAssertEqual(QueueVerdict.allCases.sorted(), [.pass, .incomplete, .fail, .error])
        XCTAssertLessThan(QueueVerdict(.pass), QueueVerdict(.incomplete))
        XCTAssertLessThan(QueueVerdict(.fail), .error)
        XCTAssertEqual(QueueVerdict(.fail).rawValue, GateVerdict.fail.rawValue, "the history stores the gate's own words")
    }
}


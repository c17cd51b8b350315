import Foundation
import TestSupport
@testable import ImageGate
import XCTest

/// Issue 9, item 6: the candidate is provably untouched.
final class CandidateDigestTests: XCTestCase {
    func testDigestsMatchSha256sumAndCatchAChange() async throws {
        let path = NSTemporaryDirectory() + "digest-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        // More than one read chunk, not a multiple of it.
        try Data((0..<(3 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        let reference = try Shell.run("sha256sum", [path]).stdout.split(separator: " ").first.map(String.init)
        let (_, digest) = try await CandidateDigest.verifying(ImageFile(path: path, format: "raw", virtualSize: 1)) { () }
        XCTAssertEqual(digest.before, reference)
        XCTAssertEqual(digest.after, digest.before)

        do {
            _ = try await CandidateDigest.verifying(ImageFile(path: path, format: "raw", virtualSize: 1)) {
                let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
                try handle.seek(toOffset: 1 << 20)
                try handle.write(contentsOf: Data([0xFF]))
                try handle.close()
            }
            XCTFail("a candidate written during the check was not noticed")
        } catch let error as ImageGateError {
            let text = "\(error)"
            XCTAssertTrue(text.contains(digest.before) && text.contains("changed while it was checked"), text)
        }
    }
}

import Foundation
@testable import ImageGate
@testable import ImageGateModel
import TestSupport
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

    /// Written and put back between the two digests: the digests agree,
    /// the open file's change time does not.
    func testACandidateWrittenAndRestoredIsCaught() async throws {
        let path = NSTemporaryDirectory() + "restored-" + UUID().uuidString + ".raw"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var disk = [UInt8](repeating: 0, count: 1 << 20)
        disk[510] = 0x55; disk[511] = 0xAA
        try Data(disk).write(to: URL(fileURLWithPath: path))
        let image = try await ImageFile.validate(path)
        do {
            _ = try await CandidateDigest.verifying(image) {
                let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
                try handle.seek(toOffset: 4096)
                try handle.write(contentsOf: Data([0xFF]))
                try handle.seek(toOffset: 4096)
                try handle.write(contentsOf: Data([0x00]))
                try handle.close()
            }
            XCTFail("a candidate written and restored during the check was not noticed")
        } catch let error as ImageGateError {
            XCTAssertTrue("\(error)".contains("was written while it was checked"), "\(error)")
        }
        let untouched = try await ImageFile.validate(path)
        _ = try await CandidateDigest.verifying(untouched) { () }
    }

    /// Bytes in memory and bytes fed in chunks: FIPS 180-2's vectors.
    func testInMemoryAndStreamedDigestsMatchTheStandardsVectors() {
        XCTAssertEqual(Digest.sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Digest.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let streamed = StreamingSHA256()
        streamed.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklm".utf8))
        streamed.update(Array("klmnlmnomnopnopq".utf8))
        XCTAssertEqual(streamed.finish(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

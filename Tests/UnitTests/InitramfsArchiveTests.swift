import Foundation
import ImageGate
import ImageGateInspection
import TestSupport
import XCTest

/// Initramfs images as initramfs-tools and dracut write them — an
/// uncompressed early archive, then a compressed main one — listed on the
/// host.
final class InitramfsArchiveTests: XCTestCase {
    /// A `newc` cpio archive of `files` (name → content), with its trailer.
    static func cpio(_ files: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }
        for (index, (name, content)) in (files + [("TRAILER!!!", "")]).enumerated() {
            let fields = [index + 1, content.isEmpty && name != "TRAILER!!!" ? 0o40755 : 0o100644, 0, 0, 1, 0, content.utf8.count,
                          0, 0, 0, 0, name.utf8.count + 1, 0]
            bytes += Array("070701".utf8) + fields.flatMap { Array(String(format: "%08X", $0).utf8) }
            bytes += Array(name.utf8) + [0]
            pad()
            bytes += Array(content.utf8)
            pad()
        }
        while bytes.count % 512 != 0 { bytes.append(0) }
        return bytes
    }

    func compressed(_ bytes: [UInt8], _ program: String, _ arguments: [String]) throws -> [UInt8] {
        try Self.compressed(bytes, program, arguments)
    }

    static func compressed(_ bytes: [UInt8], _ program: String, _ arguments: [String]) throws -> [UInt8] {
        let file = NSTemporaryDirectory() + "/initramfs-test-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Shell.runData(program, arguments + [file])
        XCTAssertEqual(result.status, 0, result.stderr)
        return Array(result.stdout)
    }

    let early = [("kernel", ""), ("kernel/x86", ""), ("kernel/x86/microcode/GenuineIntel.bin", "microcode")]
    let main = [(".", ""), ("usr/lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko", "ELF"), ("init", "#!/bin/sh\n")]

    func testEarlyArchiveThenEachCompression() async throws {
        let expected = early.map(\.0) + main.map(\.0)
        for (program, arguments) in [("gzip", ["-c"]), ("zstd", ["-qc"]), ("xz", ["-c", "--check=crc32"]), ("bzip2", ["-c"]),
                                     ("lz4", ["-lc"]), ("lzop", ["-c"]), ("cat", [])] {
            let image = Self.cpio(early) + (try compressed(Self.cpio(main), program, arguments))
            let names = try await InitramfsArchive.list(image)
            XCTAssertEqual(names, expected, program)
        }
    }

    func testTwoPlainArchivesAndPadding() async throws {
        let names = try await InitramfsArchive.list(Self.cpio(early) + [0, 0, 0, 0] + Self.cpio(main))
        XCTAssertEqual(names, early.map(\.0) + main.map(\.0))
    }

    func assertUnreadable(_ bytes: [UInt8], limits: InitramfsArchive.Limits = .init(), _ message: String = "",
                          file: StaticString = #filePath, line: UInt = #line) async -> String {
        do {
            let names = try await InitramfsArchive.list(bytes, limits: limits)
            XCTFail("listed \(names.count) names; expected an error. \(message)", file: file, line: line)
            return ""
        } catch {
            XCTAssertTrue(error is InitramfsArchive.Unreadable, "\(error)", file: file, line: line)
            return "\(error)"
        }
    }

    func testGarbageAndTruncationAreErrorsNotEmptyLists() async throws {
        _ = await assertUnreadable(Array("not an initramfs".utf8))
        _ = await assertUnreadable(Array(Self.cpio(main).prefix(150)))
        _ = await assertUnreadable([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02], "a broken gzip stream")
    }
}

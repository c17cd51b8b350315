import Foundation
import ImageGateModel

/// The file names inside an initramfs image, read on the host: one or more
/// cpio archives (`newc`), the last usually compressed, concatenated — as
/// initramfs-tools and dracut write them (an uncompressed early-microcode
/// archive first). Decompressing on the host costs milliseconds where the
/// appliance, under TCG, takes seconds.
///
/// The bytes are the guest's, so nothing is trusted: header fields are
/// eight hex digits and nothing else (no sign), every step moves forward, a
/// decompressor runs under a deadline with its output capped, and
/// compressed archives nest only so deep.
public enum InitramfsArchive {
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// How far one listing may go.
    public struct Limits: Sendable {
        /// Decompressed bytes, all nested archives together.
        public var decompressedBytes: Int
        /// Compressed archives inside compressed archives.
        public var depth: Int
        /// Per decompressor run.
        public var timeout: Duration
        /// Where a compressed part is written for its decompressor.
        public var scratch: String

        public init(decompressedBytes: Int = 1 << 30, depth: Int = 3, timeout: Duration = .seconds(60),
                    scratch: String = NSTemporaryDirectory()) {
            self.decompressedBytes = decompressedBytes
            self.depth = depth
            self.timeout = timeout
            self.scratch = scratch
        }

        public init(_ gate: GateLimits, scratch: String) {
            self.init(decompressedBytes: gate.initramfsBytes, depth: gate.initramfsDepth, scratch: scratch)
        }
    }

    /// Compressions the kernel accepts, by their leading bytes, and the host
    /// program that undoes each.
    static let decompressors: [(magic: [UInt8], program: String, arguments: [String])] = [
        ([0x1F, 0x8B], "gzip", ["-dc"]),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd", ["-dcq"]),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", ["-dc"]),
        ([0x5D, 0x00, 0x00], "xz", ["-dc", "--format=lzma"]),
        ([0x42, 0x5A, 0x68], "bzip2", ["-dc"]),
        ([0x02, 0x21, 0x4C, 0x18], "lz4", ["-dc"]),
        ([0x89, 0x4C, 0x5A, 0x4F], "lzop", ["-dc"]),
    ]

    /// Every name in every archive, in order (`TRAILER!!!` left out).
    public static func list(_ bytes: [UInt8], limits: Limits = Limits()) async throws -> [String] {
        var budget = limits.decompressedBytes
        return try await list(bytes, limits: limits, depth: 0, budget: &budget)
    }

    /// The plain (uncompressed) part only: what the fuzzer and the parser's
    /// own tests drive. Returns the names and the offset of the first byte
    /// that is not a plain archive (nil when the end was reached).
    public static func listPlain(_ bytes: [UInt8]) throws -> (names: [String], rest: Int?) {
        var names: [String] = []
        var offset = 0
        while true {
            while offset < bytes.count, bytes[offset] == 0 { offset += 1 }  // padding between archives
            guard offset < bytes.count else { return (names, nil) }
            guard bytes[offset...].starts(with: Array("07070".utf8)) else { return (names, offset) }
            let next = try readArchive(bytes, from: offset, into: &names)
            guard next > offset else { throw Unreadable(description: "no progress at byte \(offset)") }
            offset = next
        }
    }

    private static func list(_ bytes: [UInt8], limits: Limits, depth: Int, budget: inout Int) async throws -> [String] {
        let (names, rest) = try listPlain(bytes)
        guard let offset = rest else { return names }
        guard let (_, program, arguments) = decompressors.first(where: { bytes[offset...].starts(with: $0.magic) }) else {
            throw Unreadable(description: String(format: "unknown data at byte %d (starts %02x %02x)", offset, bytes[offset],
                                                 offset + 1 < bytes.count ? bytes[offset + 1] : 0))
        }
        guard depth < limits.depth else {
            throw Unreadable(description: "compressed archives nested more than \(limits.depth) deep")
        }
        // Through a file, not a pipe: a tool that stops reading early
        // must not leave this process writing into a closed pipe.
        let file = limits.scratch + "/initramfs-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes[offset...]), attributes: [.posixPermissions: 0o600]) else {
            throw Unreadable(description: "could not write \(file)")
        }
        defer { Teardown.remove(file) }
        let output: BoundedProcess.Output
        do {
            output = try await BoundedProcess.run(program, arguments + [file], timeout: limits.timeout, outputLimit: max(budget, 1))
        } catch let failure as BoundedProcess.Failure {
            if case .outputTooLarge = failure {
                throw Unreadable(description: "decompresses to more than \(GateLimits.describe(Int64(limits.decompressedBytes))) (limit max_initramfs_mib)")
            }
            throw Unreadable(description: "\(failure)")
        }
        budget -= output.stdout.count
        // Trailing padding after the stream makes some tools complain;
        // what they wrote is used as long as it is an archive.
        guard !output.stdout.isEmpty else {
            throw Unreadable(description: "\(program) could not decompress it: \(output.firstLine)")
        }
        return names + (try await list(output.stdout, limits: limits, depth: depth + 1, budget: &budget))
    }

    /// Reads one `newc` archive; returns the offset just past its trailer.
    private static func readArchive(_ bytes: [UInt8], from start: Int, into names: inout [String]) throws -> Int {
        func align(_ value: Int) -> Int { start + (value - start + 3) / 4 * 4 }
        /// Eight hex digits, unsigned: `-0000070` or `+0000001` is not a field.
        func field(_ at: Int, _ index: Int) throws -> Int {
            let from = at + 6 + index * 8
            guard from + 8 <= bytes.count else { throw Unreadable(description: "truncated cpio header at byte \(at)") }
            var value = 0
            for byte in bytes[from..<(from + 8)] {
                guard let digit = hexDigit(byte) else { throw Unreadable(description: "cpio header at byte \(at): field \(index) is not hexadecimal") }
                value = value << 4 | digit
            }
            return value
        }
        var offset = start
        while true {
            guard offset + 110 <= bytes.count, bytes[offset..<(offset + 6)].elementsEqual("070701".utf8) || bytes[offset..<(offset + 6)].elementsEqual("070702".utf8) else {
                throw Unreadable(description: "no cpio header at byte \(offset)")
            }
            let fileSize = try field(offset, 6), nameSize = try field(offset, 11)
            let nameStart = offset + 110
            guard nameSize > 0, nameSize <= bytes.count - nameStart else { throw Unreadable(description: "truncated cpio name at byte \(offset)") }
            let name = String(decoding: bytes[nameStart..<(nameStart + nameSize - 1)], as: UTF8.self)
            let next = align(align(nameStart + nameSize) + fileSize)
            guard next > offset else { throw Unreadable(description: "cpio entry at byte \(offset) does not advance") }
            offset = next
            if name == "TRAILER!!!" { return min(offset, bytes.count) }
            guard offset <= bytes.count else { throw Unreadable(description: "truncated cpio data of \(name) at byte \(nameStart)") }
            names.append(name)
        }
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}

import Foundation

/// The file names inside an initramfs image, read on the host: one or more
/// cpio archives (`newc`), the last usually compressed, concatenated — as
/// initramfs-tools and dracut write them (an uncompressed early-microcode
/// archive first). Decompressing on the host costs milliseconds where the
/// appliance, under TCG, takes seconds.
public enum InitramfsArchive {
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
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
    public static func list(_ bytes: [UInt8]) throws -> [String] {
        var names: [String] = []
        var offset = 0
        while true {
            while offset < bytes.count, bytes[offset] == 0 { offset += 1 }  // padding between archives
            guard offset < bytes.count else { return names }
            if bytes[offset...].starts(with: Array("07070".utf8)) {
                offset = try readArchive(bytes, from: offset, into: &names)
                continue
            }
            guard let (_, program, arguments) = decompressors.first(where: { bytes[offset...].starts(with: $0.magic) }) else {
                throw Unreadable(description: String(format: "unknown data at byte %d (starts %02x %02x)", offset, bytes[offset],
                                                     offset + 1 < bytes.count ? bytes[offset + 1] : 0))
            }
            // Through a file, not a pipe: a tool that stops reading early
            // must not leave this process writing into a closed pipe.
            let file = NSTemporaryDirectory() + "/imagegate-initramfs-\(getpid())-\(UUID().uuidString)"
            guard FileManager.default.createFile(atPath: file, contents: Data(bytes[offset...])) else {
                throw Unreadable(description: "could not write \(file)")
            }
            defer { try? FileManager.default.removeItem(atPath: file) }
            let output = try Subprocess.runData(program, arguments + [file])
            // Trailing padding after the stream makes some tools complain;
            // what they wrote is used as long as it is an archive.
            guard !output.stdout.isEmpty else {
                throw Unreadable(description: "\(program) could not decompress it: \(output.stderr.split(separator: "\n").first ?? "")")
            }
            return names + (try list(Array(output.stdout)))
        }
    }

    /// Reads one `newc` archive; returns the offset just past its trailer.
    private static func readArchive(_ bytes: [UInt8], from start: Int, into names: inout [String]) throws -> Int {
        func align(_ value: Int) -> Int { start + (value - start + 3) / 4 * 4 }
        func field(_ at: Int, _ index: Int) throws -> Int {
            let from = at + 6 + index * 8
            guard from + 8 <= bytes.count, let value = Int(String(decoding: bytes[from..<(from + 8)], as: UTF8.self), radix: 16) else {
                throw Unreadable(description: "truncated cpio header at byte \(at)")
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
            guard nameSize > 0, nameStart + nameSize <= bytes.count else { throw Unreadable(description: "truncated cpio name at byte \(offset)") }
            let name = String(decoding: bytes[nameStart..<(nameStart + nameSize - 1)], as: UTF8.self)
            offset = align(align(nameStart + nameSize) + fileSize)
            if name == "TRAILER!!!" { return min(offset, bytes.count) }
            names.append(name)
        }
    }
}

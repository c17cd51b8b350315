import Foundation
import ImageGateModel

/// The blank data disk ImageGate attached, read back by ImageGate (not by
/// the guest): what the guest made on it during the boot. The disk was
/// created empty for this run, so any filesystem on it was made during
/// the boot; an ext superblock also counts its mounts (the kernel writes
/// the count and the time straight to the superblock when it mounts).
/// Every byte is the guest's: reads are bounded and every field is
/// checked before use.
public struct DataDiskReading: Sendable, Codable, Equatable {
    /// Where the filesystem starts: "partition 1 (MBR) at byte 1048576", "the whole disk".
    public var place: String?
    /// `ext2`, `ext3`, `ext4`, `xfs`; nil: no filesystem found.
    public var filesystem: String?
    public var label = ""
    /// Times the filesystem was mounted (ext only; nil: not counted).
    public var mountCount: Int?
    /// Where it was last mounted, as the kernel recorded it (ext only,
    /// written when a file is first opened there; often empty).
    public var lastMountPoint = ""
    /// The last mount's time (ext only).
    public var lastMounted: Date?
    /// Set when the disk could not be read at all.
    public var problem: String?

    public init(problem: String) { self.problem = problem }
    init() {}

    /// Whether the guest made a filesystem and mounted it during the boot.
    public var mounted: Bool { (mountCount ?? 0) > 0 }

    /// One line for a report.
    public var summary: String {
        if let problem { return "not read: \(problem)" }
        guard let filesystem, let place else { return "no partition table and no filesystem: nothing was made on it during the boot" }
        var text = "\(filesystem) on \(place)"
        if !label.isEmpty { text += ", label '\(label)'" }
        if let mountCount {
            text += mountCount == 0 ? ", never mounted" : ", mounted \(mountCount) time(s)"
            if let lastMounted, mountCount > 0 { text += ", last at \(ISO8601DateFormatter().string(from: lastMounted))" }
            if !lastMountPoint.isEmpty { text += " on \(lastMountPoint)" }
        }
        return text
    }

    /// Reads the raw disk image at `path` (never following a link).
    public static func read(path: String) async -> DataDiskReading {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return DataDiskReading(problem: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return await read { offset, count in
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? buffer : nil
        }
    }

    /// Reads a disk through `sectors(offset, count)` (nil: past its end or
    /// unreadable): a local file, or a remote host's volume.
    public static func read(_ sectors: (UInt64, Int) async -> [UInt8]?) async -> DataDiskReading {
        var reading = DataDiskReading()
        guard let mbr = await sectors(0, 512) else { reading.problem = "its first sector could not be read"; return reading }
        var starts: [(UInt64, String)] = []
        if mbr[510] == 0x55, mbr[511] == 0xAA {
            let type = mbr[446 + 4]
            if type == 0xEE, let header = await sectors(512, 512), header.starts(with: Array("EFI PART".utf8)) {
                let entries = le(header, 72, 8)
                if entries > 0, entries < 1 << 32, let entry = await sectors(entries * 512, 128) {
                    let first = le(entry, 32, 8)
                    if first > 0, first < 1 << 40 { starts.append((first * 512, "partition 1 (GPT) at byte \(first * 512)")) }
                }
            } else if type != 0 {
                let first = le(mbr, 446 + 8, 4)
                if first > 0 { starts.append((first * 512, "partition 1 (MBR) at byte \(first * 512)")) }
            }
        }
        starts.append((0, "the whole disk"))
        for (start, place) in starts {
            if let block = await sectors(start, 4), block == Array("XFSB".utf8) {
                reading.place = place
                reading.filesystem = "xfs"
                return reading
            }
            guard let sb = await sectors(start + 1024, 1024), sb[0x38] == 0x53, sb[0x39] == 0xEF else { continue }
            reading.place = place
            let journal = le(sb, 0x5C, 4) & 0x4 != 0, extents = le(sb, 0x60, 4) & 0x40 != 0
            reading.filesystem = extents ? "ext4" : journal ? "ext3" : "ext2"
            reading.mountCount = Int(le(sb, 0x34, 2))
            reading.label = text(sb, 0x78, 16)
            reading.lastMountPoint = text(sb, 0x88, 64)
            let mtime = le(sb, 0x2C, 4)
            if mtime > 0 { reading.lastMounted = Date(timeIntervalSince1970: TimeInterval(mtime)) }
            return reading
        }
        return reading
    }

    /// A little-endian unsigned field.
    private static func le(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    /// A NUL-padded text field, shown safely (the guest wrote it).
    private static func text(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> String {
        let raw = bytes[offset..<(offset + width)].prefix { $0 != 0 }
        return TerminalText.sanitize(String(decoding: raw, as: UTF8.self))
    }
}

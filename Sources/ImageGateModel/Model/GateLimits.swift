import Foundation

/// How far ImageGate lets a stranger's image and guest go: every byte of
/// them is hostile, so every size, count and read has a ceiling. Exceeding
/// one is evidence in the report ("file larger than N"), never a crash or a
/// full host disk. A platform profile's `limits:` changes any of them.
public struct GateLimits: Sendable, Codable, Equatable {
    /// The candidate's virtual size.
    public var virtualSizeBytes: Int64 = 2 << 40
    /// A scenario's or `--data-disk-size`'s blank data disk.
    public var dataDiskBytes: Int64 = 256 << 30
    /// What the guest may write to its overlay during one boot; reaching it
    /// ends the boot.
    public var overlayBytes: Int64 = 32 << 30
    /// One guest file read by a static rule.
    public var guestFileBytes: Int = 128 << 20
    /// All guest files read by one inspection together.
    public var guestReadBytes: Int = 1 << 30
    /// What one boot's serial console may print; more is a flood that ends the boot.
    public var consoleBytes: Int = 32 << 20
    /// What one initramfs may decompress to, all its archives together.
    public var initramfsBytes: Int = 1 << 30
    /// Nested compressed archives inside one initramfs.
    public var initramfsDepth: Int = 3

    public init() {}

    enum CodingKeys: String, CodingKey {
        case virtualSizeGiB = "max_virtual_size_gib", dataDiskGiB = "max_data_disk_gib", overlayGiB = "max_overlay_growth_gib"
        case guestFileMiB = "max_guest_file_mib", guestReadMiB = "max_guest_reads_mib", consoleMiB = "max_console_mib"
        case initramfsMiB = "max_initramfs_mib", initramfsDepth = "max_initramfs_depth"
    }

    /// Every key is optional (the default stays); each must be a positive whole number.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read(_ key: CodingKeys) throws -> Int64? {
            guard let value = try c.decodeIfPresent(Int64.self, forKey: key) else { return nil }
            guard value > 0, value < 1 << 30 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be a positive whole number")
            }
            return value
        }
        if let v = try read(.virtualSizeGiB) { virtualSizeBytes = v << 30 }
        if let v = try read(.dataDiskGiB) { dataDiskBytes = v << 30 }
        if let v = try read(.overlayGiB) { overlayBytes = v << 30 }
        if let v = try read(.guestFileMiB) { guestFileBytes = Int(v) << 20 }
        if let v = try read(.guestReadMiB) { guestReadBytes = Int(v) << 20 }
        if let v = try read(.consoleMiB) { consoleBytes = Int(v) << 20 }
        if let v = try read(.initramfsMiB) { initramfsBytes = Int(v) << 20 }
        if let v = try read(.initramfsDepth) { initramfsDepth = Int(v) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(virtualSizeBytes >> 30, forKey: .virtualSizeGiB)
        try c.encode(dataDiskBytes >> 30, forKey: .dataDiskGiB)
        try c.encode(overlayBytes >> 30, forKey: .overlayGiB)
        try c.encode(guestFileBytes >> 20, forKey: .guestFileMiB)
        try c.encode(guestReadBytes >> 20, forKey: .guestReadMiB)
        try c.encode(consoleBytes >> 20, forKey: .consoleMiB)
        try c.encode(initramfsBytes >> 20, forKey: .initramfsMiB)
        try c.encode(initramfsDepth, forKey: .initramfsDepth)
    }

    /// `1.5 GiB`, `64 MiB`, `512 bytes`.
    public static func describe(_ bytes: Int64) -> String {
        if bytes >= 1 << 30 { return bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        return "\(bytes) bytes"
    }
}

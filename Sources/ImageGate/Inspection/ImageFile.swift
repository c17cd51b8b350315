import Foundation

/// A candidate image file, validated before anything opens it: it exists,
/// is a regular file, is qcow2 or raw, has no backing file or external data
/// file (a crafted qcow2 could otherwise make the host read its own files),
/// and is not corrupt. Every problem is an ``InputError``.
public struct ImageFile: Sendable, Codable, Equatable {
    public let path: String
    /// `qcow2` or `raw`, as `qemu-img` detected it; always passed explicitly.
    public let format: String
    public let virtualSize: Int64

    public init(path: String, format: String, virtualSize: Int64) {
        self.path = path
        self.format = format
        self.virtualSize = virtualSize
    }

    public static func validate(_ path: String) throws -> ImageFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("\(path): no such file")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard !isDirectory.boolValue, attributes?[.type] as? FileAttributeType == .typeRegular || attributes?[.type] as? FileAttributeType == .typeSymbolicLink else {
            throw InputError("\(path): not a regular file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw InputError("\(path): not readable") }

        let info = try qemuImg(["info", "-U", "--output=json", path], image: path)
        guard let json = try? JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any],
              let format = json["format"] as? String else {
            throw InputError("\(path): qemu-img could not read it as a disk image")
        }
        if let backing = json["backing-filename"] as? String {
            throw InputError("\(path): refused: the image has a backing file (\(backing)); give a standalone image (qemu-img convert -O qcow2)")
        }
        let specific = (json["format-specific"] as? [String: Any])?["data"] as? [String: Any]
        if let dataFile = specific?["data-file"] as? String {
            throw InputError("\(path): refused: the image has an external data file (\(dataFile)); give a standalone image (qemu-img convert -O qcow2)")
        }
        if specific?["corrupt"] as? Bool == true { throw InputError("\(path): the qcow2 image is marked corrupt") }
        guard let size = (json["virtual-size"] as? NSNumber)?.int64Value else {
            throw InputError("\(path): qemu-img reports no virtual size")
        }
        switch format {
        case "qcow2":
            _ = try qemuImg(["check", "-U", "-q", "-f", "qcow2", path], image: path)
        case "raw":
            try requirePartitionTable(path)
        default:
            throw InputError("\(path): format \(format) is not accepted (qcow2 or raw)")
        }
        return ImageFile(path: path, format: format, virtualSize: size)
    }

    /// A raw file must at least start like a disk: an MBR (or GPT's
    /// protective MBR) boot signature.
    private static func requirePartitionTable(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError("\(path): not readable") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        guard head.count == 512, head[510] == 0x55, head[511] == 0xAA else {
            throw InputError("\(path): not a disk image (no qcow2 header and no partition table)")
        }
    }

    /// Runs qemu-img (with `-U`: an image another process has open can still
    /// be read); a failure is an ``InputError`` with its first line.
    private static func qemuImg(_ arguments: [String], image: String) throws -> String {
        let result = try Subprocess.run("qemu-img", arguments)
        guard result.status == 0 else {
            let reason = (result.stderr + result.stdout).split(separator: "\n").first.map {
                String($0).replacingOccurrences(of: "qemu-img: ", with: "").replacingOccurrences(of: "\(image): ", with: "")
            } ?? "qemu-img failed"
            throw InputError("\(image): \(arguments[0] == "check" ? "corrupt image: " : "")\(reason)")
        }
        return result.stdout
    }
}

import Foundation

/// A candidate image file, opened once and validated through that one open
/// file: the path is made absolute with every symlink resolved, opened
/// `O_RDONLY|O_NOFOLLOW` (a FIFO cannot block the open), and must be a
/// regular file — never a device, FIFO or socket. qemu-img, libguestfs and
/// QEMU are then given that same open file (``accessPath``, a
/// `/proc/<pid>/fd/<n>` link), never the path again: renaming another file
/// over the path after validation changes nothing, and a name such as
/// `json:{…}` is only ever a name.
///
/// It must be qcow2 or raw, have no backing file or external data file (a
/// crafted qcow2 could otherwise make the host read its own files), not be
/// corrupt, and be no larger than ``GateLimits/virtualSizeBytes``. Every
/// problem is an bad-input ``ImageGateError``: one line naming the input.
public struct ImageFile: Sendable, Codable, Equatable {
    /// The absolute path, symlinks resolved, as the reports show it.
    public let path: String
    /// `qcow2` or `raw`, as `qemu-img` detected it; always passed explicitly.
    public let format: String
    public let virtualSize: Int64
    /// The descriptor validated; nil for an image described, not opened.
    let descriptor: ImageDescriptor?

    public init(path: String, format: String, virtualSize: Int64) {
        self.init(path: path, format: format, virtualSize: virtualSize, descriptor: nil)
    }

    init(path: String, format: String, virtualSize: Int64, descriptor: ImageDescriptor?) {
        self.path = path
        self.format = format
        self.virtualSize = virtualSize
        self.descriptor = descriptor
    }

    enum CodingKeys: String, CodingKey { case path, format, virtualSize }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try c.decode(String.self, forKey: .path), format: try c.decode(String.self, forKey: .format),
                  virtualSize: try c.decode(Int64.self, forKey: .virtualSize))
    }

    public static func == (a: ImageFile, b: ImageFile) -> Bool {
        a.path == b.path && a.format == b.format && a.virtualSize == b.virtualSize
    }

    /// What every tool opens: the validated open file while it is open.
    public var accessPath: String { descriptor?.procPath ?? path }

    public static func validate(_ given: String, limits: GateLimits = GateLimits()) async throws -> ImageFile {
        let descriptor = try ImageDescriptor.open(given)
        let path = descriptor.path, access = descriptor.procPath
        let info = try await qemuImg(["info", "-U", "--output=json", access], image: path, access: access)
        // Output qemu-img did not make readable is the bad-input line below.
        guard let json = try? JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any],
              let format = json["format"] as? String else {
            throw ImageGateError.badInput("\(path): qemu-img could not read it as a disk image")
        }
        if let backing = json["backing-filename"] as? String {
            throw ImageGateError.badInput("\(path): refused: the image has a backing file (\(TerminalText.sanitize(backing))); give a standalone image (qemu-img convert -O qcow2)")
        }
        let specific = (json["format-specific"] as? [String: Any])?["data"] as? [String: Any]
        if let dataFile = specific?["data-file"] as? String {
            throw ImageGateError.badInput("\(path): refused: the image has an external data file (\(TerminalText.sanitize(dataFile))); give a standalone image (qemu-img convert -O qcow2)")
        }
        if specific?["corrupt"] as? Bool == true { throw ImageGateError.badInput("\(path): the qcow2 image is marked corrupt") }
        guard let size = (json["virtual-size"] as? NSNumber)?.int64Value, size > 0 else {
            throw ImageGateError.badInput("\(path): qemu-img reports no virtual size")
        }
        guard size <= limits.virtualSizeBytes else {
            throw ImageGateError.badInput("\(path): refused: virtual size \(GateLimits.describe(size)) is above the limit of \(GateLimits.describe(limits.virtualSizeBytes)) (profile limits: max_virtual_size_gib)")
        }
        switch format {
        case "qcow2":
            _ = try await qemuImg(["check", "-U", "-q", "-f", "qcow2", access], image: path, access: access, timeout: .seconds(300))
        case "raw":
            try descriptor.requirePartitionTable()
        default:
            throw ImageGateError.badInput("\(path): format \(TerminalText.sanitize(format)) is not accepted (qcow2 or raw)")
        }
        return ImageFile(path: path, format: format, virtualSize: size, descriptor: descriptor)
    }

    /// Runs qemu-img (with `-U`: an image another process has open can still
    /// be read) under a deadline; a failure is an bad-input ``ImageGateError`` with its
    /// first line.
    private static func qemuImg(_ arguments: [String], image: String, access: String,
                                timeout: Duration = .seconds(60)) async throws -> String {
        let result: BoundedProcess.Output
        do {
            result = try await BoundedProcess.run("qemu-img", arguments, timeout: timeout, outputLimit: 1 << 20)
        } catch let failure as BoundedProcess.Failure {
            throw ImageGateError.badInput("\(image): \(failure)")
        }
        guard result.status == 0 else {
            let reason = result.firstLine.replacingOccurrences(of: "qemu-img: ", with: "")
                .replacingOccurrences(of: "Could not open '\(access)': ", with: "")
                .replacingOccurrences(of: "\(access): ", with: "").replacingOccurrences(of: access, with: image)
            throw ImageGateError.badInput("\(image): \(arguments[0] == "check" ? "corrupt image: " : "")\(reason.isEmpty ? "qemu-img failed" : reason)")
        }
        return result.text
    }
}

/// The candidate's one open file description, closed when the last
/// ``ImageFile`` holding it goes away.
final class ImageDescriptor: Sendable {
    let fd: Int32
    /// Absolute, symlinks resolved.
    let path: String
    /// An inotify watch for writes to the file opened (its inode: a file
    /// renamed over the path later is another's); -1 where none could be
    /// made, and then only the digests compare.
    private let writes: Int32
    private let lock = NSLock()
    nonisolated(unsafe) private var wasWritten = false

    private init(fd: Int32, path: String, writes: Int32) {
        self.fd = fd
        self.path = path
        self.writes = writes
    }

    deinit {
        close(fd)
        if writes >= 0 { close(writes) }
    }

    /// Whether anything wrote to the open file since it was opened — even
    /// bytes put back before the closing digest (nil: not watched).
    var writtenSinceOpened: Bool? {
        guard writes >= 0 else { return nil }
        return lock.withLock {
            var buffer = [UInt8](repeating: 0, count: 4096)
            // Any event is a write (or the queue's overflow, counted as one).
            while buffer.withUnsafeMutableBytes({ read(writes, $0.baseAddress, $0.count) }) > 0 { wasWritten = true }
            return wasWritten
        }
    }

    /// `/proc/<this process>/fd/<n>`: opening it opens this same file, in
    /// this process and in the tools it starts.
    var procPath: String { "/proc/\(getpid())/fd/\(fd)" }

    static func open(_ given: String) throws -> ImageDescriptor {
        guard !given.isEmpty else { throw ImageGateError.badInput("no image path given") }
        let shown = TerminalText.sanitize(given)
        let absolute = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        guard let resolved = realpath(absolute, nil) else {
            let reason = errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno))
            throw ImageGateError.badInput("\(shown): \(reason)")
        }
        let path = String(cString: resolved)
        free(resolved)
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let reason = errno == EACCES ? "not readable" : errno == ELOOP ? "changed into a symlink while it was opened" : String(cString: strerror(errno))
            throw ImageGateError.badInput("\(shown): \(reason)")
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ImageGateError.badInput("\(shown): \(reason)")
        }
        let kind = status.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            let what = kind == S_IFDIR ? "a directory" : kind == S_IFIFO ? "a FIFO" : kind == S_IFBLK ? "a block device"
                : kind == S_IFCHR ? "a character device" : kind == S_IFSOCK ? "a socket" : "not a file"
            throw ImageGateError.badInput("\(shown): not a regular file (\(what)\(path != absolute ? ", via \(TerminalText.sanitize(path))" : ""))")
        }
        // Watched from before the first digest is taken, through the open
        // file itself (its /proc link), never the path a rename could move.
        let writes = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if writes >= 0, inotify_add_watch(writes, "/proc/self/fd/\(fd)", UInt32(IN_MODIFY)) < 0 { close(writes); return ImageDescriptor(fd: fd, path: path, writes: -1) }
        return ImageDescriptor(fd: fd, path: path, writes: writes)
    }

    /// A raw file must at least start like a disk: an MBR (or GPT's
    /// protective MBR) boot signature.
    func requirePartitionTable() throws {
        var head = [UInt8](repeating: 0, count: 512)
        let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512, 0) }
        guard count == 512, head[510] == 0x55, head[511] == 0xAA else {
            throw ImageGateError.badInput("\(path): not a disk image (no qcow2 header and no partition table)")
        }
    }
}

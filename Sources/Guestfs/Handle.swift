import CGuestfs
import Foundation
import SerialQueue

/// One libguestfs handle and the appliance behind it.
///
/// The only owner of its `guestfs_h`. Its owner closes it at a visible
/// point (``close()``, or ``withHandle(_:_:)``'s scope): closing stops the
/// appliance and removes libguestfs's temporary folders. A handle nobody
/// closed is closed when the value goes away, which may be too late (a
/// process that exits first leaves the folders behind). All calls run one at
/// a time on the handle's own thread, never on Swift's cooperative pool
/// (launching the appliance blocks for seconds).
public final class Handle: @unchecked Sendable {
    private let g: OpaquePointer
    private let queue = SerialQueue(label: "guestfs")
    private let traceCalls: (@Sendable (String) -> Void)?
    /// Set once ``close()`` ran; touched only on the queue.
    private var closed = false

    /// A new handle, with libguestfs's printing of errors to stderr turned
    /// off: every failure becomes a ``GuestfsError``.
    ///
    /// - Parameters:
    ///   - backend: e.g. `direct`; nil keeps `LIBGUESTFS_BACKEND` or the default.
    ///   - backendSettings: e.g. `["force_tcg"]`; nil keeps
    ///     `LIBGUESTFS_BACKEND_SETTINGS`.
    ///   - traceCalls: given each call's duration and name as one line.
    public init(backend: String? = nil, backendSettings: [String]? = nil, traceCalls: (@Sendable (String) -> Void)? = nil) throws {
        // No close at exit by libguestfs: the owner or the deinitialiser closes it (shim.h).
        guard let g = imagegate_guestfs_create() else {
            throw GuestfsError(message: "could not create a libguestfs handle", operation: "create")
        }
        self.g = g
        self.traceCalls = traceCalls
        guestfs_set_error_handler(g, nil, nil)
        if let backend {
            try call("set_backend \(backend)") { guestfs_set_backend($0, backend) }
        }
        if let backendSettings {
            try call("set_backend_settings") { g in
                withCStrings(backendSettings) { guestfs_set_backend_settings(g, $0) }
            }
        }
    }

    deinit {
        // Before the deinitialiser returns: a process that exits next leaves
        // no appliance running behind a handle that was dropped.
        if !closed { queue.runBlocking { guestfs_close(g) } }
    }

    /// Stops the appliance and frees the handle, removing its temporary
    /// folders; later calls fail. Safe to call twice.
    public func close() async {
        // Closing: the appliance is shut down whatever the call says.
        _ = try? await run { h in
            guard !h.closed else { return }
            h.closed = true
            guestfs_close(h.g)
        }
    }

    /// Runs `body` with a new handle and closes it after, however `body` ends.
    public static func withHandle<T>(_ make: () throws -> Handle, _ body: (Handle) async throws -> T) async throws -> T {
        let handle = try make()
        do {
            let value = try await body(handle)
            await handle.close()
            return value
        } catch {
            await handle.close()
            throw error
        }
    }

    /// Where libguestfs makes its temporary folder (the appliance's overlay).
    public func setTemporaryDirectory(_ path: String) async throws {
        try await run { h in try h.call("set_tmpdir \(path)") { guestfs_set_tmpdir($0, path) } }
    }

    // MARK: - The one place C calls go through

    /// Runs `body` with the handle; a result of -1 throws the handle's error.
    ///
    /// libguestfs keeps the error handler and the last error per thread, and
    /// a serial queue may hop threads between jobs: so the default handler
    /// (printing to stderr) is switched off on the calling thread each time,
    /// and the error is read on that same thread right after the call.
    @discardableResult
    func call(_ operation: String, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
        guard !closed else { throw GuestfsError(message: "the handle is closed", operation: operation) }
        guestfs_set_error_handler(g, nil, nil)
        let started = traceCalls != nil ? ContinuousClock.now : nil
        let status = body(g)
        if let started { trace(operation, since: started) }
        if status == -1 { throw lastError(operation) }
        return status
    }

    func call<T>(_ operation: String, _ body: (OpaquePointer) -> T?) throws -> T {
        guard !closed else { throw GuestfsError(message: "the handle is closed", operation: operation) }
        guestfs_set_error_handler(g, nil, nil)
        let started = traceCalls != nil ? ContinuousClock.now : nil
        let value = body(g)
        if let started { trace(operation, since: started) }
        guard let value else { throw lastError(operation) }
        return value
    }

    private func trace(_ operation: String, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        traceCalls?("\(String(format: "%8.1f", ms)) ms \(operation)")
    }

    private func lastError(_ operation: String) -> GuestfsError {
        let message = guestfs_last_error(g).map { String(cString: $0) } ?? "unknown libguestfs error"
        return GuestfsError(message: message, errno: guestfs_last_errno(g), operation: operation)
    }

    /// Every public method hops onto the handle's thread through here.
    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (Handle) throws -> T) async throws -> T {
        try await queue.run { [self] in try body(self) }
    }

    // MARK: - Drives and appliance

    /// Adds a disk image. The format is always given explicitly: letting
    /// libguestfs guess lets a raw file pretend to be qcow2 (and point at
    /// host files as its backing file).
    public func addDrive(_ path: String, format: String, readOnly: Bool) async throws {
        try await run { h in
            try h.call("add_drive \(path)") { g in
                format.withCString { format in
                    var options = guestfs_add_drive_opts_argv()
                    options.bitmask = (1 << 0) | (1 << 1)  // READONLY | FORMAT
                    options.readonly = readOnly ? 1 : 0
                    options.format = format
                    return guestfs_add_drive_opts_argv(g, path, &options)
                }
            }
        }
    }

    /// Starts the appliance (seconds under KVM, ~15 s under TCG).
    public func launch() async throws {
        try await run { h in try h.call("launch") { guestfs_launch($0) } }
    }

    /// True while the appliance's daemon answers; false once the appliance
    /// died (or was never launched).
    public func isApplianceAlive() async -> Bool {
        // A daemon that does not answer is not alive: that is the answer.
        (try? await run { h in try h.call("ping_daemon") { guestfs_ping_daemon($0) } }) != nil
    }

    /// The appliance's process ID (the `direct` backend's QEMU).
    public func appliancePID() async throws -> Int32 {
        try await run { h in try h.call("get_pid") { guestfs_get_pid($0) } }
    }

    /// Unmounts everything and stops the appliance, flushing writes.
    public func shutdown() async throws {
        try await run { h in try h.call("shutdown") { guestfs_shutdown($0) } }
    }

    // MARK: - Inspection

    /// The root filesystems of the operating systems found on the disks.
    public func inspectOS() async throws -> [String] {
        try await run { h in CStrings.take(try h.call("inspect_os") { guestfs_inspect_os($0) }) }
    }

    /// What inspection learnt about the OS at `root`.
    public func inspect(root: String) async throws -> OSInspection {
        try await run { h in
            func string(_ name: String, _ f: (OpaquePointer?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?) throws -> String {
                CStrings.take(try h.call("inspect_get_\(name) \(root)") { f($0, root) })
            }
            func int(_ name: String, _ f: (OpaquePointer?, UnsafePointer<CChar>?) -> Int32) throws -> Int {
                Int(try h.call("inspect_get_\(name) \(root)") { f($0, root) })
            }
            let mountpoints = CStrings.takePairs(
                try h.call("inspect_get_mountpoints \(root)") { guestfs_inspect_get_mountpoints($0, root) })
            return OSInspection(
                root: root,
                type: try string("type", guestfs_inspect_get_type),
                distro: try string("distro", guestfs_inspect_get_distro),
                majorVersion: try int("major_version", guestfs_inspect_get_major_version),
                minorVersion: try int("minor_version", guestfs_inspect_get_minor_version),
                productName: try string("product_name", guestfs_inspect_get_product_name),
                packageFormat: try string("package_format", guestfs_inspect_get_package_format),
                hostname: try string("hostname", guestfs_inspect_get_hostname),
                mountpoints: mountpoints.map { .init(mountpoint: $0.0, device: $0.1) }
            )
        }
    }

    /// Installed packages (needs the OS's filesystems mounted).
    public func applications(root: String) async throws -> [Application] {
        try await run { h in
            let list = try h.call("inspect_list_applications2 \(root)") {
                guestfs_inspect_list_applications2($0, root)
            }
            defer { guestfs_free_application2_list(list) }
            return (0..<Int(list.pointee.len)).map { index in
                let app = list.pointee.val[index]
                func s(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
                return Application(name: s(app.app2_name), epoch: Int(app.app2_epoch),
                                   version: s(app.app2_version), release: s(app.app2_release),
                                   arch: s(app.app2_arch))
            }
        }
    }

    // MARK: - Mounting

    /// Mounts `device` read-only at `mountpoint` inside the appliance, with
    /// device nodes, set-uid bits and execution off (`ro,nodev,nosuid,noexec`).
    public func mountReadOnly(_ device: String, at mountpoint: String) async throws {
        try await run { h in
            try h.call("mount_options ro,nodev,nosuid,noexec \(device) \(mountpoint)") {
                guestfs_mount_options($0, "ro,nodev,nosuid,noexec", device, mountpoint)
            }
        }
    }

    /// Mounts `device` read-write at `mountpoint` (for building test disks).
    public func mount(_ device: String, at mountpoint: String) async throws {
        try await run { h in try h.call("mount \(device) \(mountpoint)") { guestfs_mount($0, device, mountpoint) } }
    }

    /// Unmounts every filesystem in the appliance.
    public func unmountAll() async throws {
        try await run { h in try h.call("umount_all") { guestfs_umount_all($0) } }
    }

    // MARK: - Files

    /// The file's first bytes, at most `limit`: `pread` a MiB at a time
    /// until a short read or the limit. (libguestfs's `read_file` goes
    /// through a file transfer and costs a hundred milliseconds or more per
    /// file under TCG; `pread` is one round trip.) The caller makes sure the
    /// path is a regular file: `pread` on a FIFO blocks the appliance.
    /// From `offset` on, where given (a log's tail).
    public func readFile(_ path: String, from offset: Int64 = 0, limit: Int) async throws -> [UInt8] {
        try await run { h in
            let chunk = 1 << 20
            var bytes: [UInt8] = []
            while bytes.count < limit {
                var size = 0
                let want = min(chunk, limit - bytes.count)
                let at = offset + Int64(bytes.count)
                let buffer = try h.call("pread \(path) at \(at)") {
                    guestfs_pread($0, path, Int32(want), at, &size)
                }
                defer { free(buffer) }
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: min(size, want)))
                if size < want { break }
            }
            return bytes
        }
    }

    /// At most `count` bytes of a block device from `offset` (one round trip).
    public func readDevice(_ device: String, at offset: Int64, count: Int) async throws -> [UInt8] {
        try await run { h in
            var size = 0
            let buffer = try h.call("pread_device \(device) at \(offset)") {
                guestfs_pread_device($0, device, Int32(count), offset, &size)
            }
            defer { free(buffer) }
            return Array(UnsafeRawBufferPointer(start: buffer, count: min(size, count)))
        }
    }

    /// How many newlines the file holds (`wc -l`, counted in the appliance).
    public func lineCount(_ path: String) async throws -> Int {
        try await run { h in Int(try h.call("wc_l \(path)") { guestfs_wc_l($0, path) }) }
    }

    /// The file's lines, without line endings.
    public func readLines(_ path: String) async throws -> [String] {
        try await run { h in CStrings.take(try h.call("read_lines \(path)") { guestfs_read_lines($0, path) }) }
    }

    /// Names in a directory (without `.` and `..`).
    public func list(_ directory: String) async throws -> [String] {
        try await run { h in CStrings.take(try h.call("ls \(directory)") { guestfs_ls($0, directory) }) }
    }

    /// Whether anything exists at `path` (following symlinks).
    public func exists(_ path: String) async throws -> Bool {
        try await run { h in try h.call("exists \(path)") { guestfs_exists($0, path) } == 1 }
    }

    /// Whether `path` is a directory (not following a final symlink).
    public func isDirectory(_ path: String) async throws -> Bool {
        try await run { h in try h.call("is_dir \(path)") { guestfs_is_dir($0, path) } == 1 }
    }

    /// Whether `path` is a regular file (not following a final symlink).
    public func isFile(_ path: String) async throws -> Bool {
        try await run { h in try h.call("is_file \(path)") { guestfs_is_file($0, path) } == 1 }
    }

    /// Whether `path` is a symbolic link.
    public func isSymlink(_ path: String) async throws -> Bool {
        try await run { h in try h.call("is_symlink \(path)") { guestfs_is_symlink($0, path) } == 1 }
    }

    /// The target of the symbolic link at `path`.
    public func readLink(_ path: String) async throws -> String {
        try await run { h in CStrings.take(try h.call("readlink \(path)") { guestfs_readlink($0, path) }) }
    }

    /// `lstat` of `path`.
    public func stat(_ path: String) async throws -> FileStatus {
        try await run { h in
            let s = try h.call("lstatns \(path)") { guestfs_lstatns($0, path) }
            defer { guestfs_free_statns(s) }
            return FileStatus(mode: UInt32(truncatingIfNeeded: s.pointee.st_mode), size: s.pointee.st_size,
                              uid: Int(s.pointee.st_uid), gid: Int(s.pointee.st_gid),
                              modified: s.pointee.st_mtime_sec)
        }
    }

    /// The `lstat` of each of `names` in `directory`, in one call; nil for a
    /// name that could not be stat'd.
    public func stat(in directory: String, names: [String]) async throws -> [FileStatus?] {
        try await run { h in
            let list = try h.call("lstatnslist \(directory) (\(names.count) names)") { g in
                withCStrings(names) { guestfs_lstatnslist(g, directory, $0) }
            }
            defer { guestfs_free_statns_list(list) }
            return (0..<Int(list.pointee.len)).map { index in
                let s = list.pointee.val[index]
                guard s.st_ino != -1 else { return nil }
                return FileStatus(mode: UInt32(truncatingIfNeeded: s.st_mode), size: s.st_size,
                                  uid: Int(s.st_uid), gid: Int(s.st_gid), modified: s.st_mtime_sec)
            }
        }
    }

    /// Writes `content` to `path`, replacing it.
    public func write(_ path: String, _ content: [UInt8]) async throws {
        try await run { h in
            try h.call("write \(path)") { g in
                content.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { guestfs_write(g, path, $0.baseAddress, buffer.count) }
                }
            }
        }
    }

    /// Creates `path` and its parents.
    public func makeDirectories(_ path: String) async throws {
        try await run { h in try h.call("mkdir_p \(path)") { guestfs_mkdir_p($0, path) } }
    }

    // MARK: - Block devices

    /// The appliance's names for the added disks (`/dev/sda`, ...).
    public func devices() async throws -> [String] {
        try await run { h in CStrings.take(try h.call("list_devices") { guestfs_list_devices($0) }) }
    }

    /// Every partition on every disk.
    public func partitions() async throws -> [String] {
        try await run { h in CStrings.take(try h.call("list_partitions") { guestfs_list_partitions($0) }) }
    }

    /// Every LVM logical volume (`/dev/VG/LV`).
    public func logicalVolumes() async throws -> [String] {
        try await run { h in CStrings.take(try h.call("lvs") { guestfs_lvs($0) }) }
    }

    /// Every filesystem found (device and type, e.g. `/dev/sda1`, `ext4`).
    public func filesystems() async throws -> [(device: String, type: String)] {
        try await run { h in
            CStrings.takePairs(try h.call("list_filesystems") { guestfs_list_filesystems($0) })
                .map { (device: $0.0, type: $0.1) }
        }
    }

    /// The partition table type of a disk: `msdos`, `gpt`, ...
    public func partitionTableType(_ device: String) async throws -> String {
        try await run { h in CStrings.take(try h.call("part_get_parttype \(device)") { guestfs_part_get_parttype($0, device) }) }
    }

    /// The disk holding `partition` and the partition's number on it.
    public func partitionLocation(_ partition: String) async throws -> (device: String, number: Int) {
        try await run { h in
            let device = CStrings.take(try h.call("part_to_dev \(partition)") { guestfs_part_to_dev($0, partition) })
            let number = try h.call("part_to_partnum \(partition)") { guestfs_part_to_partnum($0, partition) }
            return (device, Int(number))
        }
    }

    /// The MBR type byte of partition `number` on an `msdos` disk.
    public func mbrID(_ device: String, partition number: Int) async throws -> Int {
        try await run { h in
            Int(try h.call("part_get_mbr_id \(device) \(number)") { guestfs_part_get_mbr_id($0, device, Int32(number)) })
        }
    }

    /// The type GUID of partition `number` on a `gpt` disk.
    public func gptType(_ device: String, partition number: Int) async throws -> String {
        try await run { h in
            CStrings.take(try h.call("part_get_gpt_type \(device) \(number)") {
                guestfs_part_get_gpt_type($0, device, Int32(number))
            })
        }
    }

    /// The filesystem type on a device (`ext4`, `swap`, ...).
    public func filesystemType(_ device: String) async throws -> String {
        try await run { h in CStrings.take(try h.call("vfs_type \(device)") { guestfs_vfs_type($0, device) }) }
    }

    /// What blkid reads off a device: `TYPE`, `UUID`, `LABEL`, `PARTUUID`,
    /// `PARTLABEL`, ... (only the keys the device has).
    public func blockID(_ device: String) async throws -> [String: String] {
        try await run { h in
            Dictionary(CStrings.takePairs(try h.call("blkid \(device)") { guestfs_blkid($0, device) })) { $1 }
        }
    }

    /// The filesystem label on a device ("" when none).
    public func filesystemLabel(_ device: String) async throws -> String {
        try await run { h in CStrings.take(try h.call("vfs_label \(device)") { guestfs_vfs_label($0, device) }) }
    }

    /// The size in bytes of a block device as the guest sees it.
    public func size(ofDevice device: String) async throws -> Int64 {
        try await run { h in
            guestfs_set_error_handler(h.g, nil, nil)
            let size = guestfs_blockdev_getsize64(h.g, device)
            if size < 0 { throw h.lastError("blockdev_getsize64 \(device)") }
            return size
        }
    }

    /// The virtual size of a disk image file, read by `qemu-img` on the
    /// host without launching the appliance.
    public func virtualSize(ofImage path: String) async throws -> Int64 {
        try await run { h in
            guestfs_set_error_handler(h.g, nil, nil)
            let size = guestfs_disk_virtual_size(h.g, path)
            if size < 0 { throw h.lastError("disk_virtual_size \(path)") }
            return size
        }
    }

    // MARK: - Building test disks

    /// Creates a blank disk image file (`raw` or `qcow2`) of `size` bytes.
    public func createDisk(_ path: String, format: String, size: Int64) async throws {
        try await run { h in try h.call("disk_create \(path)") { guestfs_disk_create_argv($0, path, format, size, nil) } }
    }

    /// Makes one partition spanning the disk (`msdos` or `gpt`).
    public func partitionDisk(_ device: String, tableType: String) async throws {
        try await run { h in try h.call("part_disk \(device)") { guestfs_part_disk($0, device, tableType) } }
    }

    /// Makes a filesystem of `type` on `device`.
    public func makeFilesystem(_ type: String, on device: String) async throws {
        try await run { h in try h.call("mkfs \(type) \(device)") { guestfs_mkfs_opts_argv($0, type, device, nil) } }
    }
}

/// Runs `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension Handle {
    /// The format `qemu-img` detects for an image file (`qcow2`, `raw`, ...),
    /// read on the host without launching the appliance.
    public func imageFormat(_ path: String) async throws -> String {
        try await run { h in CStrings.take(try h.call("disk_format \(path)") { guestfs_disk_format($0, path) }) }
    }
}

extension Handle {
    /// Whether `path` is a directory; with `followSymlinks`, a symlink to a
    /// directory counts.
    public func isDirectory(_ path: String, followSymlinks: Bool) async throws -> Bool {
        try await run { h in
            try h.call("is_dir \(path)") { g in
                var options = guestfs_is_dir_opts_argv()
                options.bitmask = 1 << 0  // FOLLOWSYMLINKS
                options.followsymlinks = followSymlinks ? 1 : 0
                return guestfs_is_dir_opts_argv(g, path, &options)
            } == 1
        }
    }

    /// The paths inside an initramfs (cpio, optionally compressed).
    public func initrdList(_ path: String) async throws -> [String] {
        try await run { h in CStrings.take(try h.call("initrd_list \(path)") { guestfs_initrd_list($0, path) }) }
    }
}

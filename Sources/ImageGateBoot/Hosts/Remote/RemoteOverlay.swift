import Foundation
import ImageGateModel

/// A remote boot's overlay brought back for its post-mortem: the overlay
/// volume's file, copied from the host (``RemoteDiskStore/download(_:to:limit:)``),
/// must be a qcow2 whose header names no external data file; it is then
/// pointed at this machine's copy of the candidate (the bytes the host's
/// candidate volume was verified to hold). Only the copy's header changes;
/// the candidate is never written.
package enum RemoteOverlay {
    /// Makes `image`'s validated open file the backing file of the copied
    /// overlay at `path`, once its header is known to name no other file.
    package static func adopt(_ path: String, backing image: ImageFile) async throws {
        // Read before any tool opens the copy: qemu-img would open a data
        // file the header names (a FIFO or a device would block it).
        guard let file = FileHandle(forReadingAtPath: path) else { throw ImageGateError.infrastructure("cannot read \(path)") }
        // A short or unreadable header fails the qcow2 check below.
        let header = [UInt8]((try? file.read(upToCount: 80)) ?? Data())
        // Read-only: nothing is lost if closing fails.
        try? file.close()
        guard header.count == 80, header.prefix(4) == [0x51, 0x46, 0x49, 0xFB] else {
            throw ImageGateError.infrastructure("the overlay copied from the host is not a qcow2 image")
        }
        let version = header[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
        // qcow2 v3: incompatible feature bit 2, an external data file.
        if version >= 3, header[72..<80].reduce(0, { $0 << 8 | UInt64($1) }) & (1 << 2) != 0 {
            throw ImageGateError.infrastructure("the overlay copied from the host names an external data file: not opened")
        }
        // `rebase -u` rewrites this header only; no backing file is opened.
        let result = try await BoundedProcess.run("qemu-img", ["rebase", "-u", "-f", "qcow2", "-F", image.format, "-b", image.accessPath, path],
                                                  timeout: .seconds(60), outputLimit: 1 << 20)
        guard result.status == 0 else {
            throw ImageGateError.infrastructure("the overlay copied from the host: qemu-img rebase: \(TerminalText.sanitize(result.firstLine))")
        }
    }
}

import Foundation
import ImageGateModel

/// Copies a VM's console, read through libvirt's console stream (a remote
/// host's ttyS0), into the local console log the ``ConsoleWatcher``
/// follows, as QEMU itself writes it for a local VM. Bounded: past
/// `limit` bytes nothing more is written (the watch has ended the boot as
/// a flood by then). Opened before the VM first runs, so nothing is lost.
public final class ConsolePump: Sendable {
    private let task: Task<Void, Never>
    private let channel: any ConsoleChannel

    public init(channel: any ConsoleChannel, file: String, limit: Int64) throws {
        guard FileManager.default.createFile(atPath: file, contents: nil),
              let handle = FileHandle(forWritingAtPath: file) else {
            throw ImageGateError.infrastructure("cannot write the console log \(file)")
        }
        self.channel = channel
        task = Task.detached {
            // The pump ends either way; what was written is on disk.
            defer { try? handle.close() }
            var written: Int64 = 0
            while !Task.isCancelled {
                let bytes: [UInt8]?
                do { bytes = try channel.receive(limit: 64 << 10) } catch {
                    Log.warning("the console stream failed: \(error)")
                    return
                }
                guard let bytes else { return }  // the console closed: the VM stopped
                if bytes.isEmpty {
                    // Cancelled: the loop ends at its next check.
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
                guard written < limit else { continue }
                let kept = bytes.prefix(Int(min(Int64(bytes.count), limit - written)))
                do { try handle.write(contentsOf: Data(kept)) } catch { return }
                written += Int64(kept.count)
            }
        }
    }

    /// Stops copying and lets go of the console.
    public func stop() async {
        task.cancel()
        await task.value
        channel.close()
    }
}

import Foundation

/// A file the user named for ImageGate to write: a report, a dashboard.
public enum OutputFile {
    /// Writes `text` to `path`. A regular file, or nothing yet, is replaced
    /// whole (a temporary file renamed over it: never half-written). What
    /// is there as anything else is written through, never replaced: a
    /// device or a FIFO (`/dev/null`), a symbolic link (`/dev/stdout`), as
    /// a rename would leave a regular file in its place, for every other
    /// program on the machine.
    public static func write(_ text: String, to path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw ImageGateError.badInput("\(path): a folder, not a file to write a report to")
        }
        // O_TRUNC empties a regular file behind a link; a device or a FIFO ignores it.
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImageGateError.badInput("\(path): cannot be opened for writing (\(String(cString: strerror(errno))))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(text.utf8))
    }
}

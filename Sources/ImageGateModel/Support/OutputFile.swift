import Foundation

/// A file the user named for ImageGate to write: a report, a dashboard.
public enum OutputFile {
    /// Writes `text` to `path`. A regular file, or nothing yet, is replaced
    /// whole (a temporary file renamed over it: never half-written). What
    /// exists there as something else (`/dev/null`, `/dev/stdout`, a FIFO)
    /// is written into, never replaced: a rename would leave a regular file
    /// where the device was, for every other program on the machine.
    public static func write(_ text: String, to path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        if status.st_mode & S_IFMT == S_IFDIR { throw ImageGateError.badInput("\(path): a folder, not a file to write a report to") }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ImageGateError.badInput("\(path): cannot be opened for writing")
        }
        defer { try? handle.close() }  // Closing after a write that went through: nothing left to report.
        try handle.write(contentsOf: Data(text.utf8))
    }
}

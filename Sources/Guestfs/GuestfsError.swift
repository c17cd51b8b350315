import CGuestfs
import Glibc

/// A failed libguestfs call, with libguestfs's own message and errno.
public struct GuestfsError: Error, CustomStringConvertible, Sendable {
    /// libguestfs's message (`guestfs_last_error`).
    public let message: String
    /// The errno the appliance reported, 0 when none (`guestfs_last_errno`).
    public let errno: Int32
    /// The operation that failed, e.g. `read_file /etc/hosts`.
    public let operation: String

    public init(message: String, errno: Int32 = 0, operation: String) {
        self.message = message
        self.errno = errno
        self.operation = operation
    }

    public var description: String { "\(operation): \(message)" }

    /// True when the failure was a missing file or directory (ENOENT).
    public var isNotFound: Bool { errno == ENOENT }
}

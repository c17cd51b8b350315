import ImageGateModel

/// Why a guest path could not be read as a file. A rule that reads several
/// paths catches it per path: the problem is evidence of its own, and never
/// hides a violation found in another path.
public enum GuestFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Something other than a regular file where one is expected: a
    /// directory, FIFO, device or socket, or a symlink that loops.
    case notRegular(path: String, kind: FileKind)
    /// The path lies on a filesystem the guest's fstab mounts there, which
    /// ImageGate could not mount: what the guest sees there is unknown.
    case notMounted(path: String, mountpoint: String, reason: String)
    /// Larger than the per-file limit: not read.
    case tooLarge(path: String, size: Int64, limit: Int64)
    /// The inspection already read as much as it may.
    case readBudgetExhausted(path: String, limit: Int64)

    public var description: String {
        switch self {
        case let .notRegular(path, kind):
            return "\(path) is \(kind == .directory ? "a directory" : kind == .symlink ? "a symlink loop" : "not a regular file (a FIFO, device or socket)")"
        case let .notMounted(path, mountpoint, reason):
            return path == mountpoint ? "\(path): its filesystem could not be mounted (\(reason))"
                : "\(path) is on \(mountpoint), whose filesystem could not be mounted (\(reason))"
        case let .tooLarge(path, size, limit):
            return "\(path) is larger than \(GateLimits.describe(limit)) (\(GateLimits.describe(size))): not read (profile limits: max_guest_file_mib)"
        case let .readBudgetExhausted(path, limit):
            return "\(path) not read: this inspection already read \(GateLimits.describe(limit)) from the guest (profile limits: max_guest_reads_mib)"
        }
    }
}

/// What reading one path found.
public enum FileRead: Sendable, Equatable {
    case absent
    case text(String)
    /// Not a regular file (programs that read files skip it), or a symlink
    /// whose target does not exist.
    case notRegular(String)
    /// Could not be read at all: why.
    case unreadable(String)
}

extension GuestFilesystem {
    /// `path`, symlinks followed, judged on its own: a problem with it is a
    /// value, not a thrown error, so a rule goes on with its other paths.
    public func readRegular(_ path: String) async -> FileRead {
        do {
            let chain = try await resolve(path)
            let target = chain.last!
            switch try await kind(target) {
            case .missing:
                return chain.count > 1 ? .notRegular("\(path) is a symlink to \(target), which does not exist") : .absent
            case .file:
                return try await read(target).map(FileRead.text) ?? .absent
            case .directory:
                return .notRegular(GuestFileProblem.notRegular(path: path, kind: .directory).description)
            case .symlink:
                return .notRegular(GuestFileProblem.notRegular(path: path, kind: .symlink).description)
            case .other:
                return .notRegular(GuestFileProblem.notRegular(path: path, kind: .other).description)
            }
        } catch {
            return .unreadable("\(error)")
        }
    }
}

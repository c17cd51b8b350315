/// A boot that could not be judged because something other than the image
/// failed (libvirt, QEMU, a tool): the CLI exits 3.
public enum BootError: Error, CustomStringConvertible, Sendable {
    case infrastructure(String)

    public var description: String {
        switch self {
        case let .infrastructure(message): return message
        }
    }
}

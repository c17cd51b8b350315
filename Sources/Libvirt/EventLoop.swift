import CLibvirt
import Foundation

/// libvirt's default event loop, run on its own thread for the life of the
/// process. The embedded QEMU driver and domain events need it; it must be
/// registered before the first connection is opened.
enum EventLoop {
    private static let started: Bool = {
        // Silence libvirt's default printing of every error to stderr: each
        // error is copied into a `LibvirtError` instead.
        virSetErrorFunc(nil, { _, _ in })
        guard virInitialize() == 0, virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 { Thread.sleep(forTimeInterval: 0.1) }
            }
        }
        thread.name = "libvirt-event-loop"
        thread.start()
        return true
    }()

    /// Starts the loop once; later calls return at once.
    static func start() throws {
        if !started {
            throw LibvirtError(code: -1, domain: 0, message: "could not start libvirt's event loop",
                               operation: "virEventRegisterDefaultImpl")
        }
    }
}

import CHostProcess
import Foundation
import ImageGateModel

/// Hides KVM from this process and its children once TCG has been chosen.
///
/// Where `/dev/kvm` opens but KVM guests hang, libvirt's QEMU driver still
/// believes KVM usable: it asks `access("/dev/kvm", R_OK|W_OK)` as the QEMU
/// user, which root always passes. It then probes QEMU's capabilities with
/// KVM, the probe QEMU hangs in KVM, and libvirt waits twice for its 40 s
/// kill timeout. Worse, the probe yields capabilities without KVM while KVM
/// still looks usable, which libvirt takes for a stale cache
/// (`virQEMUCapsIsValid`), so it probes again on the next run.
///
/// The mask bind-mounts an empty, read-only regular file over `/dev/kvm` in
/// this process's private mount namespace (`private_mounts.c`): `stat`
/// still finds it, but `access(W_OK)` on a read-only mount fails with EROFS
/// even for root, so libvirt sees KVM as unusable, probes QEMU once with TCG
/// only, and finds its cache valid on every later run. QEMU never opens the
/// real device. Nothing outside this process sees the mask.
///
/// It needs root (a mount namespace); as another user, with access to
/// `/dev/kvm` through its group, libvirt still probes KVM, as before.
public enum KVMMask {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var applied = false

    /// Why the mask cannot be applied in this process, or nil if it can.
    public static var unavailableReason: String? {
        switch imagegate_private_mounts_errno() {
        case 0: return nil
        case EPERM: return "not root: no private mount namespace to mask /dev/kvm in"
        case ENOENT: return "the host has no /dev/kvm"
        case let code: return "no private mount namespace: \(String(cString: strerror(code)))"
        }
    }

    /// Whether `/dev/kvm` is masked in this process.
    public static var isApplied: Bool {
        lock.lock()
        defer { lock.unlock() }
        return applied
    }

    /// Masks `/dev/kvm` (once per process; later calls do nothing). The
    /// empty file lives in `directory`. Returns false, with the reason, when
    /// this process cannot mask it.
    @discardableResult
    public static func apply(in directory: String) throws -> (masked: Bool, reason: String?) {
        lock.lock()
        defer { lock.unlock() }
        if applied { return (true, nil) }
        if let reason = unavailableReason { return (false, reason) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let empty = directory + "/kvm-mask"
        if !FileManager.default.fileExists(atPath: empty) {
            guard FileManager.default.createFile(atPath: empty, contents: nil, attributes: [.posixPermissions: 0o444]) else {
                throw ImageGateError.infrastructure("cannot create \(empty) to mask /dev/kvm")
            }
        }
        guard mount(empty, "/dev/kvm", nil, UInt(MS_BIND), nil) == 0 else {
            throw ImageGateError.infrastructure("masking /dev/kvm: bind mount failed: \(String(cString: strerror(errno)))")
        }
        guard mount(nil, "/dev/kvm", nil, UInt(MS_BIND | MS_REMOUNT | MS_RDONLY), nil) == 0 else {
            let error = errno
            umount2("/dev/kvm", Int32(MNT_DETACH))
            throw ImageGateError.infrastructure("masking /dev/kvm: read-only remount failed: \(String(cString: strerror(error)))")
        }
        applied = true
        return (true, nil)
    }
}

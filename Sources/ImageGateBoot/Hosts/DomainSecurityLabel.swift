import Foundation

/// The `<seclabel>` a domain gets. A privileged libvirt (root's embedded
/// driver, a remote libvirtd) stacks its DAC driver, which would chown the
/// candidate and the run's files to the QEMU user: the domain turns it off,
/// since QEMU already runs as ImageGate's own user. An unprivileged embedded
/// driver (the review queue's `imagegate` user) has no DAC driver at all —
/// QEMU runs as that user and opens only what it may — and refuses a label
/// that names one.
public enum DomainSecurityLabel {
    public static let noRelabeling = "<seclabel type='none' model='dac'/>"

    /// For this process's embedded driver.
    public static var embedded: String { geteuid() == 0 ? noRelabeling : "" }
}

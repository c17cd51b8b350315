import ImageGateModel

/// Whether a kernel has started, as the hypervisor sees the guest's first
/// processor: every operating system kernel turns paging on (CR0 bit 31)
/// within its first instructions, and the BIOS and GRUB for BIOS never do.
/// A boot silent on ttyS0 is then told apart without the guest's word: a
/// quiet kernel running, or a firmware or boot loader that stopped.
public enum ProcessorPaging: Sendable, Equatable {
    case on(String)
    case off(String)

    /// Read from QEMU's `info registers` (the first `CR0=` is the first
    /// processor's); nil when the text holds no such register.
    public static func read(registers text: String) -> ProcessorPaging? {
        guard let start = text.range(of: "CR0=") else { return nil }
        let digits = text[start.upperBound...].prefix { $0.isHexDigit }.prefix(16)
        guard !digits.isEmpty, let value = UInt64(digits, radix: 16) else { return nil }
        let evidence = "CR0=\(digits)"
        return value & (1 << 31) != 0 ? .on(evidence) : .off(evidence)
    }
}

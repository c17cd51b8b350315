import Foundation
import ImageGateModel

/// A minimal VM that boots a kernel directly (no disk) with its serial
/// console logged to a file. Used to probe the accelerator and to test that
/// a hypervisor really runs guests.
public struct ProbeVM: Sendable {
    public var name: String
    public var accelerator: Accelerator
    public var kernel: String
    public var consoleLog: String
    public var memoryMiB: Int = 256
    /// ttyS0 on a pty, read through libvirt's console stream (a remote
    /// host), instead of the local `consoleLog` file.
    public var consoleOverStream = false
    /// Its `<seclabel>`, as the site says (``DomainSecurityLabel``).
    public var securityLabel = DomainSecurityLabel.noRelabeling

    public init(name: String, accelerator: Accelerator, kernel: String, consoleLog: String) {
        self.name = name
        self.accelerator = accelerator
        self.kernel = kernel
        self.consoleLog = consoleLog
    }

    /// The host's newest kernel in `/boot`, if one is readable.
    public static func hostKernel(boot: String = "/boot") -> String? {
        // No /boot to read: no kernel, and the probe says so.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: boot)) ?? []
        return names.filter { $0.hasPrefix("vmlinuz-") }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            .map { boot + "/" + $0 }
            .last { FileManager.default.isReadableFile(atPath: $0) }
    }

    /// Domain XML: the kernel panics at once for want of a root filesystem,
    /// and `panic=-1` with `on_reboot=destroy` makes the domain go away.
    public var domainXML: String {
        """
        <domain type='\(accelerator.domainType)'>
          <name>\(XML.escape(name))</name>
          <memory unit='MiB'>\(memoryMiB)</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>\(XML.escape(kernel))</kernel>
            <cmdline>console=ttyS0 panic=-1 loglevel=7</cmdline>
          </os>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            \(consoleOverStream ? "<serial type='pty'>" : "<serial type='file'>\n      <source path='\(XML.escape(consoleLog))'/>")
              <target port='0'/>
            </serial>
            <memballoon model='none'/>
          </devices>
          \(securityLabel)
        </domain>
        """
    }
}

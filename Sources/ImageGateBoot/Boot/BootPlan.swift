import Foundation
import ImageGateModel

/// Everything one first boot needs, decided before anything starts: the
/// candidate (never written: the VM boots a qcow2 overlay on it), the new
/// instance's metadata, hardware, the loopback SSH port, and deadlines.
public struct BootPlan: Sendable {
    public var image: ImageFile
    public var instance: InstanceMetadata
    public var accelerator: Accelerator
    public var memoryMiB: Int = 1024
    public var cpus: Int = 2
    /// 0: no data disk.
    public var dataDiskBytes: Int64 = 1 << 30
    /// The loopback port forwarded to the guest's port 22.
    public var sshPort: Int
    /// Guest ports forwarded to loopback (guest port → host port).
    public var servicePorts: [Int: Int] = [:]
    public var deadlines: BootDeadlines
    /// Overlay growth and console ceilings.
    public var limits = GateLimits()
    /// ttyS0 on a pty that `imagegate console` can open through libvirt
    /// (a run kept running), copied to the console log up to the verdict;
    /// otherwise ttyS0 is the console log file alone.
    public var interactiveConsole = false
    /// After the first boot's facts, reboot the instance (ACPI) and judge
    /// it again: hostname, network and /data must survive a reboot.
    public var reboot = false
    /// Which channels may deliver the guest's facts (the first to answer wins).
    public var factChannels: Set<FactChannel> = [.ssh, .serial]
    /// The domain's `<seclabel>` on a local site (``DomainSecurityLabel``).
    public var securityLabel = DomainSecurityLabel.noRelabeling
    /// Where the disks are, as the site placed them (``BootSite``).
    public var placement = DiskPlacement.runFolder
    /// The run's folder: overlay, data disk, seed, console log, SSH key.
    public var directory: String
    /// The VM's name (`imagegate-boot-<pid>-<random>`).
    public var name: String
    /// Given to the guest probe by this run's user-data alone: the facts
    /// count only with it (``FactsBlocks``).
    public var probeNonce = GuestProbe.makeNonce()

    public init(image: ImageFile, instance: InstanceMetadata, accelerator: Accelerator, sshPort: Int,
                directory: String, name: String = VMName.make(.boot)) {
        self.image = image
        self.instance = instance
        self.accelerator = accelerator
        self.sshPort = sshPort
        self.directory = directory
        self.name = name
        self.deadlines = BootDeadlines(multiplier: accelerator.timeoutMultiplier)
    }

    public var overlay: String { directory + "/overlay.qcow2" }
    /// Raw, so ImageGate reads back what the guest made on it
    /// (``DataDiskReading``) with no format between.
    public var dataDisk: String { directory + "/data.img" }
    public var seed: String { directory + "/seed.iso" }
    public var consoleLog: String { directory + "/console.log" }
    public var sshKey: String { directory + "/id_ed25519" }

    /// The user-mode network's settings: the metadata's own subnet, with the
    /// gateway as the host side, so the guest keeps the address it was given.
    var netdev: String {
        let address = IPv4(instance.ip)!
        var options = [
            "user", "id=ignet0", "restrict=on",
            "net=\(address.inNetwork(instance.prefix, offset: 0))/\(instance.prefix)",
            "host=\(instance.gateway)",
            "dhcpstart=\(instance.ip)",
            "hostname=\(instance.hostname)",
        ]
        if let dns = instance.dns.first, let server = IPv4(dns), server.network(instance.prefix) == address.network(instance.prefix) {
            options.append("dns=\(dns)")
        }
        if placement == .runFolder {
            options.append("hostfwd=tcp:127.0.0.1:\(sshPort)-\(instance.ip):22")
            for (guest, host) in servicePorts.sorted(by: { $0.key < $1.key }) {
                options.append("hostfwd=tcp:127.0.0.1:\(host)-\(instance.ip):\(guest)")
            }
        }
        return options.joined(separator: ",")
    }

    /// Each further NIC's user-mode network: its own subnet, restricted,
    /// the host side at the subnet's first address (or the next one, when
    /// that is the guest's), no forwards.
    var extraNetdevs: [String] {
        instance.extraNICs.enumerated().map { index, nic in
            let address = IPv4(nic.ip)!
            let first = address.inNetwork(nic.prefix, offset: 1)
            let host = first == address ? address.inNetwork(nic.prefix, offset: 2) : first
            return ["user", "id=ignet\(index + 1)", "restrict=on", "net=\(address.inNetwork(nic.prefix, offset: 0))/\(nic.prefix)",
                    "host=\(host)", "dhcpstart=\(nic.ip)"].joined(separator: ",")
        }
    }

    /// The QEMU arguments of every NIC: its netdev and its virtio device,
    /// the first at PCI slot 0x10, the next after it.
    var nicArguments: [String] {
        var arguments = ["-netdev", netdev, "-device", "virtio-net-pci,netdev=ignet0,mac=\(instance.mac),bus=pci.0,addr=0x10"]
        for (index, (nic, netdev)) in zip(instance.extraNICs, extraNetdevs).enumerated() {
            arguments += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=ignet\(index + 1),mac=\(nic.mac),bus=pci.0,addr=0x\(String(0x11 + index, radix: 16))"]
        }
        return arguments
    }

    /// The libvirt domain: virtio disk (overlay, its backing chain pinned to
    /// the checked candidate and ended there, so neither libvirt nor QEMU
    /// reads the candidate's header again for a backing file of its own) and
    /// data disk, the seed as
    /// an IDE CD-ROM (machine `pc`: Debian's cloud kernel has no AHCI), one
    /// virtio NIC with the metadata's MAC on a user-mode network that lives
    /// inside QEMU (libvirt 9.0 here has no portForward for type='user', so
    /// the netdev is passed through), and ttyS0 written by QEMU to the
    /// console log, or a pty that a ``ConsolePump`` copies to it (a remote
    /// host, or a run kept running, ``interactiveConsole``: no file grows
    /// after the verdict, whoever watches). No USB
    /// controller: nothing uses it, and under TCG its polling costs time.
    public var domainXML: String {
        let x = XML.escape
        let remote = placement.remote
        let overlay = remote?.overlay ?? overlay, dataDisk = remote?.dataDisk ?? dataDisk, seed = remote?.seed ?? seed
        let candidate = remote?.candidate ?? image.accessPath
        let serial = remote != nil || interactiveConsole ? "<serial type='pty'>"
            : "<serial type='file'>\n      <source path='\(x(consoleLog))'/>"
        return """
        <domain type='\(accelerator.domainType)' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>\(x(name))</name>
          <memory unit='MiB'>\(memoryMiB)</memory>
          <vcpu>\(cpus)</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <boot dev='hd'/>
            <bios useserial='yes'/>
          </os>
          <features><acpi/><apic/></features>
          \(accelerator == .kvm ? "<cpu mode='host-passthrough'/>" : "")
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2' discard='unmap'/>
              <source file='\(x(overlay))'/>
              <backingStore type='file'>
                <format type='\(x(image.format))'/>
                <source file='\(x(candidate))'/>
                <backingStore/>
              </backingStore>
              <target dev='vda' bus='virtio'/>
            </disk>
            \(dataDiskBytes > 0 ? """
            <disk type='file' device='disk'>
              <driver name='qemu' type='raw'/>
              <source file='\(x(dataDisk))'/>
              <target dev='vdb' bus='virtio'/>
            </disk>

            """ : "")            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <source file='\(x(seed))'/>
              <target dev='hdc' bus='ide'/>
              <readonly/>
            </disk>
            \(serial)
              <target port='0'/>
            </serial>
            <controller type='usb' model='none'/>
            <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
            <memballoon model='none'/>
          </devices>
          \(remote == nil ? securityLabel : "")
          <qemu:commandline>
        \(nicArguments.map { "    <qemu:arg value='\(x($0))'/>" }.joined(separator: "\n"))
          </qemu:commandline>
        </domain>
        """
    }
}

/// Where a boot's disks are.
public enum DiskPlacement: Sendable, Equatable {
    /// The run folder's files, opened by a QEMU on this machine, which
    /// writes ttyS0 to the console log and forwards ports to loopback.
    case runFolder
    /// Volumes on a remote host: ttyS0 is then a pty read through
    /// libvirt's console stream into the local console log, and no port is
    /// forwarded (the host's loopback is not this machine's).
    case volumes(RemoteDiskPaths)

    public var remote: RemoteDiskPaths? {
        if case let .volumes(paths) = self { return paths }
        return nil
    }
}

/// A boot's disks as volumes on a remote host: their paths there, and
/// the volume names to delete afterwards.
public struct RemoteDiskPaths: Sendable, Codable, Equatable {
    public var overlay: String
    /// The candidate's volume, the overlay's backing file there.
    public var candidate: String?
    public var dataDisk: String?
    public var seed: String
    public var volumes: [String]
    /// What was uploaded to place the candidate (0: it was cached there).
    public var uploadedBytes: Int64 = 0
}

/// How the guest probe's facts reach ImageGate.
public enum FactChannel: String, Sendable, Codable {
    /// SSH through the loopback port forward, as the per-run test user.
    case ssh
    /// One base64 JSON line between markers on ttyS0; needs no network.
    case serial
}

/// How long each stage of a boot may take, counted from the VM's start,
/// already multiplied for the accelerator.
public struct BootDeadlines: Sendable, Codable, Equatable {
    public var firstByte: Double
    public var kernel: Double
    public var loginPrompt: Double
    public var cloudInitFinished: Double
    /// After the login prompt, how long cloud-init may stay silent before
    /// the boot is taken to have no working cloud-init.
    public var cloudInitSilence: Double
    /// The facts from the guest probe, after cloud-init finished; then
    /// the login prompt on ttyS0, if it had not shown yet, after the facts.
    public var facts: Double
    /// How long after cloud-init finished the console may deliver the
    /// facts alone before SSH is asked too (two probes at once slow each
    /// other down under TCG). With SSH the only channel, it is asked at once.
    public var serialGrace: Double
    /// Silence on ttyS0 before any kernel showed, after which the
    /// hypervisor is asked whether a kernel runs (``ProcessorPaging``): at
    /// least 30 s at KVM's pace, as long as a boot loader's menu shown on
    /// the screen alone may count down.
    public var bootLoaderSilence: Double
    public var overall: Double

    /// KVM-speed deadlines times `multiplier`.
    public init(multiplier: Double) {
        firstByte = 15 * multiplier
        kernel = 40 * multiplier
        loginPrompt = 90 * multiplier
        cloudInitFinished = 150 * multiplier
        cloudInitSilence = 20 * multiplier
        facts = 30 * multiplier
        serialGrace = 5 * multiplier
        bootLoaderSilence = max(12 * multiplier, 30 * min(multiplier, 1))
        overall = 200 * multiplier
    }

    /// Caps every deadline at `overall` seconds.
    public mutating func cap(_ overall: Double) {
        self.overall = overall
        firstByte = min(firstByte, overall)
        kernel = min(kernel, overall)
        loginPrompt = min(loginPrompt, overall)
        cloudInitFinished = min(cloudInitFinished, overall)
    }
}

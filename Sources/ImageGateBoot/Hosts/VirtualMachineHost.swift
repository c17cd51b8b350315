import ImageGateModel

/// What ImageGate needs of a hypervisor. The core speaks to libvirt only
/// through this protocol, so boot logic is unit-tested on fakes.
public protocol VirtualMachineHost: Sendable {
    /// The hypervisor's address, e.g. `qemu:///embed?root=...`.
    var uri: String { get }
    /// Starts a transient VM from domain XML, paused if asked.
    func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance
    /// VMs whose name starts with `prefix` (to reap leftovers).
    func instances(prefix: String) async throws -> [any VirtualMachineInstance]
    /// Whether the hypervisor offers hardware acceleration (a `kvm` domain type).
    func offersKVM() async throws -> Bool
    /// Where this host's boots run (``BootSite``): by default this
    /// machine's files, console and loopback.
    var site: any BootSite { get }
    /// How many boots the host takes at once (for a fleet without a given
    /// capacity).
    func bootCapacity() async throws -> Int
    /// What the host runs, for a reviewer comparing two nights: libvirt's,
    /// QEMU's and (this machine's) kernel versions; nil where unknown.
    func versions() async -> String?
}

extension VirtualMachineHost {
    public var site: any BootSite { LocalSite(host: self) }
    public func bootCapacity() async throws -> Int { 1 }
    public func versions() async -> String? { nil }
}

/// One running VM. Narrow on purpose: start, observe, destroy.
public protocol VirtualMachineInstance: Sendable {
    var name: String { get }
    func resume() async throws
    /// Stops the VM at once; a transient VM is then gone.
    func destroy() async throws
    func isRunning() async throws -> Bool
    /// The live domain XML (for evidence bundles).
    func xml() async throws -> String
    /// Presses `keys` together on the guest's keyboard (Linux key codes).
    func sendKeys(_ keys: [UInt32], holdMilliseconds: UInt32) async throws
    /// Asks the guest to reboot (the ACPI power button; the hypervisor
    /// starts it again once it has shut down).
    func reboot() async throws
    /// The guest's serial console (ttyS0), to read and type into.
    func openConsole() async throws -> any ConsoleChannel
    /// The guest's processors' registers as the hypervisor prints them
    /// (QEMU's `info registers`); nil where the hypervisor does not say.
    func registers() async throws -> String?
}

extension VirtualMachineInstance {
    public func registers() async throws -> String? { nil }
}

/// A VM's serial console, non-blocking in both directions.
public protocol ConsoleChannel: Sendable {
    /// What the guest printed since the last call (empty: nothing now);
    /// nil once the console closed.
    func receive(limit: Int) throws -> [UInt8]?
    /// Types `bytes`; returns how many were taken (0: try again soon).
    func send(_ bytes: [UInt8]) throws -> Int
    /// Lets go of the console; the VM keeps running.
    func close()
}

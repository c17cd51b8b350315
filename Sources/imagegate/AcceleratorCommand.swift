import ArgumentParser
import ImageGate
import ImageGateBoot

/// `imagegate accelerator`: which accelerator guests get on a host, and why.
struct AcceleratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accelerator",
        abstract: "Probe whether guests run under KVM or TCG (by booting a kernel, not by looking at /dev/kvm)."
    )

    @OptionGroup(title: "Hypervisor")
    var hypervisor: HostOptions

    @Flag(name: .long, help: "Print only kvm or tcg.")
    var quiet = false

    @Flag(name: .long, help: "Probe again even if this boot's answer is known.")
    var reprobe = false

    func run() async throws {
        let choice = try await ExitCode.guarding {
            // This machine needs no libvirt connection (whose opening would
            // mask /dev/kvm where TCG was chosen before a --reprobe).
            guard hypervisor.connect != nil else {
                let probe = AcceleratorProbe.thisMachine()
                return try await reprobe ? probe.choose() : probe.chooseOnce()
            }
            return try await hypervisor.withHost { host in
                let probe = AcceleratorProbe(host: host)
                return try await reprobe ? probe.choose() : probe.chooseOnce()
            }
        }
        if quiet {
            say(choice.accelerator.rawValue)
        } else {
            say("\(choice.accelerator.rawValue) (timeouts x\(choice.accelerator.timeoutMultiplier)): \(choice.reason)")
        }
    }
}

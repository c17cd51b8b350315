/// The hardware of the suite's full boots whose verdict does not depend on
/// it: one vCPU. scripts/run-tests.sh runs two test classes at once on a
/// two-core machine, and two two-vCPU guests on two cores spend a third of
/// their CPU time waiting for each other's vCPUs (measured, the conformant
/// fixture under TCG: 118 CPU-seconds each when two boot at once, 79 alone),
/// where two one-vCPU guests lose nothing. `VendorPackageTests` boots the
/// default hardware, as a vendor's own `swift test` does.
enum TestHardware {
    static let cpus = 1

    /// To append to a scenario that declares no hardware of its own.
    static let scenarioYAML = "hardware:\n  cpus: \(cpus)\n  memory_mib: 1024\n"
}

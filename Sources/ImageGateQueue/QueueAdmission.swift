import Foundation
import ImageGate
import ImageGateBoot

/// How many entries a queue checks at once: ``BootAdmission`` for the
/// largest boot among them.
public enum QueueAdmission {
    /// The jobs for a manifest: each boot reserves what its scenario's
    /// hardware asks (the largest among the entries); an entry checked
    /// statically only, one appliance (one vCPU, about 1 GiB).
    public static func automaticJobs(for manifest: QueueManifest) -> Int {
        var cpus = 1, memory = 1024
        for path in Set(manifest.entries.filter(\.boot).map(\.scenario)) {
            // A bad scenario is refused by its entry's own check; here the default hardware sizes the admission.
            let hardware = (path.flatMap { try? Scenario.load(path: $0) } ?? .builtIn).hardware
            cpus = max(cpus, hardware.cpus)
            memory = max(memory, hardware.memoryMiB)
        }
        return BootAdmission.jobs(memoryMiBPerBoot: memory, cpusPerBoot: cpus)
    }
}

import Foundation

/// How many boots this machine runs at once: what its CPUs and free memory
/// allow (read from `/proc/meminfo`, not assumed), each boot reserving its
/// vCPUs' worth of a core and its memory plus QEMU's overhead. The queue
/// admits its entries by it, and a check its scenario's instances.
public enum BootAdmission {
    /// How much slower than alone a boot may run when `jobs` boots of
    /// `cpusPerBoot` vCPUs share `cores` (each emulated vCPU wants a core
    /// of its own), with a libguestfs appliance's one vCPU beside them if
    /// `besideAnAppliance`: at least 1, at most the number of guests.
    public static func loadFactor(jobs: Int, cpusPerBoot: Int, besideAnAppliance: Bool = false,
                                  cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Double {
        let guests = jobs + (besideAnAppliance ? 1 : 0)
        guard guests > 1 else { return 1 }
        let vcpus = jobs * max(1, cpusPerBoot) + (besideAnAppliance ? 1 : 0)
        return min(Double(guests), max(1, Double(vcpus) / Double(max(1, cores))))
    }

    /// Boots of `memoryMiBPerBoot` and `cpusPerBoot` this machine runs at
    /// once: at least 1.
    ///
    /// `besideAnAppliance`: with a libguestfs appliance (one vCPU, about
    /// 1 GiB) running too. Its memory is held, and its vCPU counts against
    /// the cores of every boot but the first: one boot starts beside it
    /// whenever the memory is there (none when it is not), as one boot
    /// beside the appliance ends sooner than the two one after the other,
    /// even where their vCPUs outnumber the cores (a two-vCPU boot beside an
    /// inspection on two cores under TCG: 159 s to cloud-init's finished
    /// line, against 40 s of inspection and then 133 s of boot).
    public static func jobs(memoryMiBPerBoot: Int = 1024, cpusPerBoot: Int = 1, besideAnAppliance: Bool = false,
                            cores: Int = ProcessInfo.processInfo.activeProcessorCount, availableMiB: Int? = availableMemoryMiB()) -> Int {
        let appliance = besideAnAppliance ? (cores: 1, memoryMiB: 1024 + 512) : (cores: 0, memoryMiB: 0)
        let cores = cores - appliance.cores
        let free = (availableMiB ?? memoryMiBPerBoot + 512 + appliance.memoryMiB) - appliance.memoryMiB
        let byMemory = free / (memoryMiBPerBoot + 512)
        let byCores = max(1, cores / max(1, cpusPerBoot))
        return besideAnAppliance ? min(byCores, byMemory) : max(1, min(byCores, byMemory))
    }

    /// `MemAvailable` in MiB.
    public static func availableMemoryMiB() -> Int? {
        // Unknown memory: the admission counts cores alone.
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kib.map { $0 / 1024 }
        }
        return nil
    }
}

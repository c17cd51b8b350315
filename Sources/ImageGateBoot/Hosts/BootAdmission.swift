import Foundation

/// How many boots this machine runs at once: what its CPUs and free memory
/// allow (read from `/proc/meminfo`, not assumed), each boot reserving its
/// vCPUs' worth of a core and its memory plus QEMU's overhead. The queue
/// admits its entries by it, and a check its scenario's instances.
public enum BootAdmission {
    /// How much slower than alone a boot may run when `jobs` boots of
    /// `cpusPerBoot` vCPUs share `cores` (each emulated vCPU wants a core
    /// of its own): at least 1, at most `jobs`.
    public static func loadFactor(jobs: Int, cpusPerBoot: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Double {
        guard jobs > 1 else { return 1 }
        return min(Double(jobs), max(1, Double(jobs * max(1, cpusPerBoot)) / Double(max(1, cores))))
    }

    /// Boots of `memoryMiBPerBoot` and `cpusPerBoot` this machine runs at
    /// once: at least 1. `besideAnAppliance`: with a libguestfs appliance
    /// (one vCPU, about 1 GiB) running too, and then possibly none.
    public static func jobs(memoryMiBPerBoot: Int = 1024, cpusPerBoot: Int = 1, besideAnAppliance: Bool = false) -> Int {
        let appliance = besideAnAppliance ? (cores: 1, memoryMiB: 1024 + 512) : (cores: 0, memoryMiB: 0)
        let cores = ProcessInfo.processInfo.activeProcessorCount - appliance.cores
        let free = (availableMemoryMiB() ?? memoryMiBPerBoot + 512 + appliance.memoryMiB) - appliance.memoryMiB
        let byMemory = free / (memoryMiBPerBoot + 512)
        return max(besideAnAppliance ? 0 : 1, min(cores / max(1, cpusPerBoot), byMemory))
    }

    /// `MemAvailable` in MiB.
    static func availableMemoryMiB() -> Int? {
        // Unknown memory: the admission counts cores alone.
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kib.map { $0 / 1024 }
        }
        return nil
    }
}

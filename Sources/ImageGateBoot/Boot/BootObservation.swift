import ImageGateModel

/// What one first boot showed: the console, the probe's facts, and why
/// watching stopped.
public struct BootObservation: Sendable {
    /// Why the watch ended.
    public enum End: Sendable, Equatable, CustomStringConvertible {
        case factsReceived
        case fatal(ConsoleLog.Hit)
        case deadline(ConsoleLog.Stage, seconds: Double)
        case cloudInitSilent(seconds: Double)
        /// cloud-init finished but no channel delivered the probe's facts.
        case noFacts(seconds: Double)
        case vmStopped
        case overallTimeout(seconds: Double)
        /// The console printed more than the limit: a flood, ended there.
        case consoleFlood(bytes: Int, limit: Int)
        /// The guest wrote more than the limit to its overlay.
        case overlayLimit(bytes: Int64, limit: Int64)
        /// cloud-init finished on a datasource other than the instance's
        /// seed: the probe, which the seed's user-data installs, never runs.
        case foreignDatasource(String)
        /// ttyS0 fell silent before any kernel showed, and the hypervisor
        /// says no kernel runs (paging off): the firmware or the boot
        /// loader stopped.
        case stalledBeforeKernel(silentSeconds: Double, processor: String)

        public var description: String {
            switch self {
            case .factsReceived: return "the guest probe reported its facts"
            case let .fatal(hit): return "\(hit.pattern.meaning) on the console (line \(hit.mark.line))"
            case let .deadline(stage, seconds): return "no \(stage.rawValue) within \(Int(seconds)) s"
            case let .cloudInitSilent(seconds): return "cloud-init printed nothing within \(Int(seconds)) s of the login prompt"
            case .vmStopped: return "the VM stopped by itself"
            case let .noFacts(seconds): return "no facts from the guest probe within \(Int(seconds)) s of cloud-init finishing"
            case let .overallTimeout(seconds): return "overall timeout of \(Int(seconds)) s"
            case let .consoleFlood(bytes, limit):
                return "ttyS0 flooded: \(GateLimits.describe(Int64(bytes))) printed, above the limit of \(GateLimits.describe(Int64(limit))); the boot was ended"
            case let .overlayLimit(bytes, limit):
                return "the guest wrote \(GateLimits.describe(bytes)) to its disk, above the limit of \(GateLimits.describe(limit)); the boot was ended"
            case let .stalledBeforeKernel(silent, processor):
                return "ttyS0 silent for \(Int(silent)) s after its last line, and no kernel runs (paging is off, \(processor), read by ImageGate from the hypervisor): the firmware or the boot loader stopped before starting one"
            case let .foreignDatasource(name):
                return "cloud-init finished with datasource \(name), not this instance's seed (NoCloud): the user-data, the test user and the probe were never applied"
            }
        }
    }

    public var instance: InstanceMetadata
    public var console: ConsoleLog
    public var facts: GuestFacts?
    public var end: End
    /// Why SSH (channel one) gave no facts, when it did not.
    public var sshProblem: String?
    /// Seconds from the VM's start to the end of the watch.
    public var endedAt: Double
    /// Bytes of the console file this watch read, as written (a later
    /// watch starts there).
    public var consoleBytesRead: UInt64 = 0
    /// The instance had a data disk attached (the scenario may give none).
    public var hadDataDisk = true
    /// Every facts block on the console, judged (nil: the console was not read for them).
    public var factsBlocks: FactsBlocks?
    /// What ImageGate saw of the instance from outside it.
    public var observed = OutsideEvidence()

    public init(instance: InstanceMetadata, console: ConsoleLog, facts: GuestFacts?, end: End,
                sshProblem: String? = nil, endedAt: Double = 0) {
        self.instance = instance
        self.console = console
        self.facts = facts
        self.end = end
        self.sshProblem = sshProblem
        self.endedAt = endedAt
    }
}

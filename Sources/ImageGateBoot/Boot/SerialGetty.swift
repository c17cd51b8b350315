import Foundation

/// What could still print a login prompt on ttyS0 when the guest probe
/// ran, as the guest's own /proc and systemd saw it: the processes whose
/// terminal is ttyS0 (a getty holds its line while it waits for a login;
/// where one does, systemd is not asked), else systemd's queued jobs and
/// its running or starting services for ttyS0. A getty the boot will start
/// is a queued job until it runs; one that restarts is a starting service.
public struct SerialGetty: Sendable, Codable, Equatable {
    /// Queued jobs (`ID UNIT TYPE STATE`) other than cloud-init's and the
    /// probe's own: those end the boot and start no getty.
    public var jobs: [String]
    /// Services for ttyS0 that run, start or reload.
    public var units: [String]
    /// Names of the processes whose terminal is ttyS0.
    public var processes: [String]
    /// `systemctl is-enabled serial-getty@ttyS0.service`: `masked`,
    /// `enabled`, … (empty where it said nothing).
    public var unitFile: String

    /// Nothing was left that could print a login prompt on ttyS0.
    public var noneComing: Bool { jobs.isEmpty && units.isEmpty && processes.isEmpty }

    /// A probe's `serialGetty` object; nil where it had no answer.
    init?(probe object: Any?) {
        guard let object = object as? [String: Any] else { return nil }
        func lines(_ key: String) -> [String] {
            ((object[key] as? String) ?? "").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        jobs = lines("jobs").filter { line in
            let fields = line.split(separator: " ")
            // A job line starts with its number; anything else ("No jobs running.") is no job.
            guard fields.count >= 2, fields[0].allSatisfy(\.isNumber) else { return false }
            let unit = fields[1]
            return !unit.hasPrefix("cloud-") && unit != "imagegate-probe.service"
        }
        units = lines("units")
        processes = lines("processes")
        unitFile = ((object["unitFile"] as? String) ?? "").trimmingCharacters(in: .whitespaces)
    }

    /// Why no prompt could come, for a finding's evidence.
    public var noneComingText: String {
        "no getty on ttyS0 running, starting or queued, and no process on the line"
            + (unitFile.isEmpty ? "" : " (serial-getty@ttyS0.service: \(unitFile))")
    }
}

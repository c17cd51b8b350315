import Foundation

/// How long this process has been running, from the kernel's own record of
/// its start (`/proc/self/stat` field 22, against `/proc/uptime`), so it
/// includes the time before any Swift code ran. Precise to a clock tick.
package enum ProcessAge {
    package static var seconds: Double? {
        // Only for a trace line: no age is shown when /proc cannot say.
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let uptime = uptimeText.split(separator: " ").first.flatMap({ Double($0) }) else { return nil }
        // Fields after the command start at field 3 (state); starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// Boot time as a trend: an entry's time to cloud-init's finished line
/// tonight against the median of its last complete runs under the same
/// accelerator, and against the profile's budget for its OS family.
/// Slower by more than ``threshold``, or over the budget, is a warning on
/// the dashboard and the terminal, never a verdict.
public struct QueueBootTime: Sendable, Equatable, Codable {
    public var key: String
    public var accelerator: String
    public var tonight: Double
    /// The entry's earlier times, oldest first (at most ``window``).
    public var earlier: [Double]
    public var median: Double?
    public var slower: Bool
    /// The profile's budget under this accelerator, if it sets one.
    public var budget: Double?
    public var overBudget: Bool { budget.map { tonight > $0 } ?? false }

    static let window = 10
    static let threshold = 1.2
    static let stage = ConsoleLog.Stage.cloudInitFinished.rawValue

    /// The time an entry's boots took to cloud-init's finished line: its
    /// slowest instance's; nil unless every instance got there.
    public static func seconds(_ entry: QueueHistory.Entry) -> Double? {
        // The history wrote this JSON itself; a damaged row has no time to compare.
        guard let timelines = try? JSONDecoder().decode([String: [String: Double]].self, from: Data(entry.timelines.utf8)),
              !timelines.isEmpty else { return nil }
        let times = timelines.values.compactMap { $0[stage] }
        return times.count == timelines.count ? times.max() : nil
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// `entry`'s trend, if it was booted to cloud-init's finished line.
    public static func trend(of entry: QueueHistory.Entry, in history: QueueHistory) throws -> QueueBootTime? {
        // An entry carried over was not booted tonight, and a carried copy is no boot of its own.
        guard entry.carriedFrom == nil, let tonight = seconds(entry), let accelerator = entry.accelerator else { return nil }
        // Earlier entries under another accelerator, or that did not finish booting, say nothing of this one.
        let earlier = try history.earlierEntries(key: entry.key, before: entry.runID, limit: 4 * window)
            .filter { $0.accelerator == accelerator && $0.carriedFrom == nil }.compactMap(seconds).prefix(window).reversed()
        let median = median(Array(earlier))
        return QueueBootTime(key: entry.key, accelerator: accelerator, tonight: tonight, earlier: Array(earlier), median: median,
                             slower: median.map { tonight > threshold * $0 } ?? false, budget: entry.bootBudget)
    }

    /// The entries of `run` that booted more slowly than their trend or their budget.
    public static func slower(in history: QueueHistory, run: Int64) throws -> [QueueBootTime] {
        try history.entries(run: run).compactMap { try trend(of: $0, in: history) }.filter { $0.slower || $0.overBudget }
    }

    /// One line: `KEY: 82 s to cloud-init finished, 1.4× the median 60 s of 10 runs (kvm)`.
    public func line(_ language: Language) -> String {
        let ratio = median.map { String(format: "%.1f×", tonight / $0) } ?? ""
        return language == .chinese
            ? "\(key)：到 cloud-init 完成用时 \(Int(tonight)) 秒，是前 \(earlier.count) 次运行中位数 \(Int(median ?? 0)) 秒的 \(ratio)（\(accelerator)）"
            : "\(key): \(Int(tonight)) s to cloud-init finished, \(ratio) the median \(Int(median ?? 0)) s of \(earlier.count) runs (\(accelerator))"
    }

    /// The warnings, as the terminal and the dashboard say them: slower
    /// than the trend, over the budget (a line each).
    public func warnings(_ language: Language) -> [String] {
        var out: [String] = []
        if slower { out.append(language.label(.queueBootSlower) + ": " + line(language)) }
        if let budget, overBudget {
            out.append(language == .chinese
                ? "启动超出配置的预算：\(key)：到 cloud-init 完成用时 \(Int(tonight)) 秒，预算 \(Int(budget)) 秒（\(accelerator)）"
                : "boot over the profile's budget: \(key): \(Int(tonight)) s to cloud-init finished, budget \(Int(budget)) s (\(accelerator))")
        }
        return out
    }

    /// The warning of a boot slower than its trend.
    public func warning(_ language: Language) -> String { language.label(.queueBootSlower) + ": " + line(language) }

    /// The times as a small SVG line, tonight last; nil with fewer than two.
    public var sparkline: String? {
        let values = earlier + [tonight]
        guard values.count >= 2, let top = values.max(), top > 0 else { return nil }
        let width = 80.0, height = 16.0, step = width / Double(values.count - 1)
        let points = values.enumerated().map { String(format: "%.1f,%.1f", Double($0.offset) * step, height - $0.element / top * (height - 2) - 1) }
        let title = values.map { String(Int($0)) }.joined(separator: " → ") + " s"
        return "<svg class=\"spark\" width=\"80\" height=\"16\" viewBox=\"0 0 80 16\"><title>\(title)</title>"
            + "<polyline fill=\"none\" stroke=\"\(slower ? "#b00" : "#555")\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/></svg>"
    }
}

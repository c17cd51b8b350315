import ImageGateModel

/// A failure class one boot's console showed, for the report: the class
/// that ended the boot first, then the others in the order they appeared,
/// each with its console lines (at most five).
public struct BootFailure: Sendable, Codable, Equatable {
    /// The ``FailureClass``'s ID.
    public var failureClass: String
    /// The BOOT rule it breaks; "" when it is evidence only.
    public var rule: String
    /// It ended the boot.
    public var endedTheBoot: Bool
    public var lines: [ConsoleLog.Mark]

    static let maxLines = 5

    /// The classes a boot showed: those its console's lines name, and the
    /// one its end names (a boot that stalled before the kernel, quoted by
    /// its last lines).
    public static func named(in console: ConsoleLog, end: BootObservation.End) -> [BootFailure] {
        var named = named(in: console)
        let stalled: Bool
        switch end {
        case let .deadline(stage, _): stalled = stage == .firstByte || stage == .kernel
        case .stalledBeforeKernel: stalled = true
        default: stalled = false
        }
        if stalled, !named.contains(where: \.endedTheBoot) {
            let last = BootRules.lastGuestLines(console, 2).map { ConsoleLog.Mark(seconds: console.lastByteSeconds, line: $0.line ?? 0, text: $0.text) }
            named.insert(BootFailure(failureClass: FailureClass.stalledBeforeKernel.id, rule: BootRules.consoleOutput.id, endedTheBoot: true, lines: last), at: 0)
        }
        return named
    }

    /// The classes `console`'s lines show.
    public static func named(in console: ConsoleLog) -> [BootFailure] {
        var byClass: [String: BootFailure] = [:], order: [String] = []
        for hit in console.hits {
            guard let id = hit.pattern.failureClass else { continue }
            if byClass[id] == nil {
                order.append(id)
                byClass[id] = BootFailure(failureClass: id, rule: hit.pattern.rule, endedTheBoot: false, lines: [])
            }
            if byClass[id]!.lines.count < maxLines { byClass[id]!.lines.append(hit.mark) }
        }
        if let fatal = console.fatal?.pattern.failureClass { byClass[fatal]?.endedTheBoot = true }
        return order.compactMap { byClass[$0] }.sorted { $0.endedTheBoot && !$1.endedTheBoot }
    }

    /// The report's lines for it: what it means, where, why, and the fix.
    public func text(_ language: Language) -> [String] {
        guard let failure = FailureClass.named(failureClass) else { return [] }
        let words = failure.text(language)
        let role = endedTheBoot ? language.label(.endedTheBoot) : rule.isEmpty ? language.label(.evidenceOnly) : rule
        var out = ["\(failureClass): \(words.meaning) (\(role)\(endedTheBoot && !rule.isEmpty ? ", \(rule)" : ""))"]
        out += lines.map { "  ttyS0:\($0.line): \(TerminalText.sanitize($0.text))" }
        out.append("  \(language.label(.likelyCauses)): \(words.causes)")
        out.append("  \(language.label(.fix)): \(words.fix)")
        return out
    }
}

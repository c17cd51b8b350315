import Foundation
import ImageGateModel

/// Where a boot is judged: one boot (and its reboot) by the per-boot BOOT
/// rules, and a check's boots together. The rules themselves are in
/// `Rules/BOOT`.
extension BootRules {
    /// Every per-boot rule's finding on one boot, then the static rules'
    /// boot halves.
    public static func evaluate(_ o: BootObservation) -> [Finding] {
        (catalogue + staticRuleHalves).map { rule in
            guard case let .instance(judge) = rule.judge else { return rule.finding(.couldNotCheck("not a per-boot rule")) }
            return rule.finding(judge(o))
        }
    }

    /// A boot with a reboot step: every per-boot rule judged on both boots,
    /// the worse outcome counting. What failed only after the reboot says
    /// so, and its console lines are numbered as in the whole console log
    /// (the second boot's follow the first's).
    public static func evaluate(_ first: BootObservation, afterReboot second: BootObservation) -> [Finding] {
        let shift = first.console.lines.count + (first.console.partial.isEmpty ? 0 : 1)
        return zip(evaluate(first), evaluate(second)).map { before, after in
            guard after.outcome.rank > before.outcome.rank else {
                var held = before
                if before.outcome == .pass, after.outcome == .pass { held.found += "; again after a reboot: \(after.found)" }
                return held
            }
            var worse = after
            worse.found = "after a reboot: \(after.found) (on the first boot: \(before.outcome.rawValue))"
            worse.evidence = after.evidence.map { evidence in
                var moved = evidence
                if evidence.path == console, let line = evidence.line { moved.line = line + shift }
                return moved
            }
            return worse
        }
    }

    /// `findings` with each static rule's boot half (from `booted`) folded
    /// into its static finding: the worse outcome, both halves' evidence.
    /// A boot half that could not be checked (no boot) leaves the static
    /// finding as it is.
    public static func foldingBootHalves(_ findings: [Finding], booted: [Finding]) -> [Finding] {
        let halves = Set(staticRuleHalves.map(\.id))
        let bootHalf = Dictionary(booted.filter { halves.contains($0.rule) }.map { ($0.rule, $0) }) { first, _ in first }
        return findings.map { finding in
            guard let boot = bootHalf[finding.rule], boot.outcome != .couldNotCheck, boot.outcome != .notApplicable else { return finding }
            var merged = boot.outcome.rank > finding.outcome.rank ? boot : finding
            merged.found = "\(finding.found); at boot: \(boot.found)"
            merged.evidence = finding.evidence + boot.evidence
            merged.required = finding.required
            return merged
        }
    }

    /// A check's boots judged, the one place a check's BOOT verdict is made:
    /// every per-boot rule merged over the instances (each already judged on
    /// its reboot, ``evaluate(_:afterReboot:)``), the static rules' boot
    /// halves folded into `staticFindings`, then the rules judged across
    /// instances. With no boot, each rule could not be checked, saying
    /// `notBooted`. Returns the static findings with the BOOT ones after.
    public static func judge(_ boots: [BootResult], staticFindings: [Finding], notBooted: String, declaredPorts: [Int]) -> [Finding] {
        let merged = merge(boots, notBooted: notBooted)
        let halves = Set(staticRuleHalves.map(\.id))
        return foldingBootHalves(staticFindings, booted: merged)
            + merged.filter { !halves.contains($0.rule) }
            + evaluate(BootSet(boots: boots, declaredPorts: declaredPorts))
    }

    /// The rules judged across instances.
    public static func evaluate(_ set: BootSet) -> [Finding] {
        acrossInstances.map { rule in
            guard case let .across(judge) = rule.judge else { return rule.finding(.couldNotCheck("not a cross-instance rule")) }
            return rule.finding(judge(set))
        }
    }

    /// One finding per per-boot rule across every boot: the worst outcome
    /// (fail > could-not-check > warning > info > pass > not-applicable),
    /// with every instance's result and evidence, each tagged with its host.
    public static func merge(_ boots: [BootResult], notBooted: String = "no instance was booted") -> [Finding] {
        (catalogue + staticRuleHalves).map { rule in
            let per = boots.compactMap { boot in boot.finding(rule.id).map { (boot.plan.instance.hostname, $0) } }
            guard let first = per.first?.1 else { return rule.finding(.couldNotCheck(notBooted)) }
            if per.count == 1 { return first }
            var merged = per.max { $0.1.outcome.rank < $1.1.outcome.rank }!.1
            merged.found = per.map { "[\($0.0)] \($0.1.outcome.rawValue): \($0.1.found)" }.joined(separator: "; ")
            merged.evidence = per.flatMap { host, finding in
                finding.evidence.map { var e = $0; e.text = "[\(host)] " + e.text; return e }
            }
            return merged
        }
    }
}

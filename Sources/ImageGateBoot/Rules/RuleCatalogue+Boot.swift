import Foundation
import ImageGateInspection
import ImageGateModel

extension RuleCatalogue {
    /// Every rule's Chinese text by rule ID, static and boot (a static
    /// rule's boot half shares its static rule's).
    public static let chineseWithBoot: [String: RuleText] = chinese.merging(BootRules.all.map { ($0.id, $0.chinese) }) { first, _ in first }

    /// SHA-256 of every rule's ID, severity and requirement, static and
    /// boot: when it changes, the rules a verdict was judged by changed.
    public static let digest: String = Digest.sha256(
        (all.map { "\($0.id) \($0.severity.rawValue) \($0.required)" } + BootRules.all.map { "\($0.id) \($0.severity.rawValue) \($0.required)" })
            .joined(separator: "\n"))
}

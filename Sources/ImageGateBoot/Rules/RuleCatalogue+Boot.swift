import Foundation
import ImageGateInspection
import ImageGateModel

extension RuleCatalogue {
    /// Every rule's Chinese text by rule ID, static and boot (a static
    /// rule's boot half shares its static rule's).
    public static let chineseWithBoot: [String: RuleText] = chinese.merging(BootRules.all.map { ($0.id, $0.chinese) }) { first, _ in first }

    /// Every rule's ID, static and boot: what a waiver may name.
    public static let everyID: Set<String> = Set(all.map(\.id) + BootRules.allIDs)

    /// SHA-256 of every rule's ID, severity and requirement, static and
    /// boot: when it changes, the rules a verdict was judged by changed.
    public static let digest: String = Digest.sha256(
        (all.map { "\($0.id) \($0.severity.rawValue) \($0.required)" } + BootRules.all.map { "\($0.id) \($0.severity.rawValue) \($0.required)" })
            .joined(separator: "\n"))
}

extension PlatformProfile {
    /// Loads a profile whose waivers each name a rule of the catalogue,
    /// static or boot; every problem is one bad-input line naming the file.
    public static func load(path: String) throws -> PlatformProfile {
        try load(path: path, knownRules: RuleCatalogue.everyID)
    }

    /// Parses a profile whose waivers each name a rule of the catalogue.
    public static func parse(_ text: String, source: String) throws -> PlatformProfile {
        try parse(text, source: source, knownRules: RuleCatalogue.everyID)
    }
}

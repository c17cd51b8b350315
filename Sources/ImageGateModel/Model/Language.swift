import Foundation

/// The language of reports. The platform's guide is Chinese, and so are
/// most of its reviewers and vendors; titles, requirements and fixes of
/// every rule exist in both languages. Found values and evidence are what
/// the image holds and stay as read.
public enum Language: String, Sendable, Codable, CaseIterable {
    case english = "en", chinese = "zh"

    /// `zh` when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese.
    public static var fromEnvironment: Language {
        let env = ProcessInfo.processInfo.environment
        let locale = env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_MESSAGES"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LANG"] ?? ""
        return locale.lowercased().hasPrefix("zh") ? .chinese : .english
    }

    /// `findings` with their rules' titles, requirements and fixes in this
    /// language; `chinese` holds each rule's Chinese text by rule ID.
    public func localize(_ findings: [Finding], chinese: [String: RuleText]) -> [Finding] {
        guard self == .chinese else { return findings }
        return findings.map { finding in
            guard let text = chinese[finding.rule] else { return finding }
            var localized = finding
            localized.title = text.title
            localized.required = text.required
            if finding.fix != nil { localized.fix = text.fix }
            return localized
        }
    }

    /// The verdict in words.
    public func label(_ verdict: GateVerdict) -> String {
        switch verdict {
        case .pass: return label(Phrase.pass)
        case .fail: return label(Phrase.fail)
        case .incomplete: return label(Phrase.incomplete)
        }
    }

    /// A phrase of ImageGate's own text in this language.
    public func label(_ phrase: Phrase) -> String {
        self == .chinese ? phrase.chinese : phrase.english
    }
}

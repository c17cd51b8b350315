import Foundation
import ImageGateBoot
import ImageGateModel

extension Diagnosis {
    /// The Diagnosis section of a text report: per instance, the failure
    /// classes its console showed, then per rule each line of the guest's
    /// logs with where it came from; what could not be read, and why.
    public static func text(_ instances: [CheckReport.Instance], language: Language) -> String {
        var out = ""
        for instance in instances {
            // How it failed, named from the console, comes first.
            if let failures = instance.failures {
                out += "\(language.label(.bootFailure)) — \(instance.hostname)\n"
                out += failures.flatMap { $0.text(language) }.map { "  \($0)\n" }.joined()
            }
            guard let postMortem = instance.postMortem else { continue }
            let diagnoses = instance.diagnosis ?? []
            out += "\(language.label(.diagnosis)) — \(instance.hostname)\n  \(language.label(.diagnosisIntro))\n"
            for diagnosis in diagnoses {
                out += "  \(diagnosis.rule)\n"
                for excerpt in diagnosis.excerpts { out += "    \(excerpt.location): \(excerpt.text)\n" }
            }
            if !postMortem.problems.isEmpty {
                out += "  \(language.label(.postMortemProblems)):\n" + postMortem.problems.map { "    \($0)\n" }.joined()
            }
        }
        return TerminalText.sanitize(out)
    }
}

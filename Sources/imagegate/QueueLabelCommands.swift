import ArgumentParser
import Foundation
import ImageGate
import ImageGateModel
import ImageGateQueue

extension QueueCommand {
    /// `imagegate queue label`: a reviewer's note on a known failure,
    /// carried to every identical failure until its last day.
    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Label a known failure: the same failure, on any entry tonight or later, is shown as KNOWN with the note.",
            discussion: """
                TARGET is a failure signature (12 hexadecimal digits: the dashboard shows one beside each failed rule, \
                and queue labels lists them), or RUN/KEY: every failed rule of that entry in that run (KEY as the \
                history names it: vendor/product/image). A signature is the rule and its evidence with addresses, MACs, \
                hostnames, timestamps, PIDs and line numbers made alike. A label never changes a verdict: the entry \
                still fails; the dashboard lists it after the new failures. Labelling a signature again replaces its label.
                """
        )

        @Argument(help: "A failure signature, or RUN/KEY.")
        var target: String
        @Option(help: "What is known: the bug, the vendor's answer.")
        var note: String
        @Option(help: "The tracker's page (http or https).")
        var link: String?
        @Option(help: ArgumentHelp("The last day the label is shown (UTC; without it, no end).", valueName: "YYYY-MM-DD"))
        var until: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ExitCode.refusing("queue label: --note is empty") }
            if let link, !FailureLabel.validLink(link) { throw ExitCode.refusing("queue label: --link \(link): expected an http or https URL") }
            if let until, !FailureLabel.validDay(until) { throw ExitCode.refusing("queue label: --until \(until): expected a date, YYYY-MM-DD") }
        }

        func run() async throws {
            let labelled: [FailureSignature] = try await ExitCode.guarding {
                let history = try database.open()
                let signatures = try Self.signatures(target, in: history)
                for signature in signatures { try history.setLabel(signature, note: note, link: link, until: until) }
                return signatures
            }
            for signature in labelled {
                say("labelled \(signature.id) \(signature.rule): \(note)\(until.map { " (until \($0))" } ?? "")")
            }
        }

        /// The signatures `target` names: one recorded failure's, or every
        /// failed rule's of one entry.
        static func signatures(_ target: String, in history: QueueHistory) throws -> [FailureSignature] {
            if FailureSignature.isID(target) {
                guard let (_, signature) = try history.failures(withSignature: target, limit: 1).first else {
                    throw ImageGateError.badInput("\(target): no failure in the latest runs has this signature (the dashboard and queue labels show them)")
                }
                return [signature]
            }
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let run = Int64(parts[0]) else {
                throw ImageGateError.badInput("\(target): expected a failure signature (12 hexadecimal digits) or RUN/KEY")
            }
            guard let entry = try history.entries(run: run).first(where: { $0.key == parts[1] }) else {
                throw ImageGateError.badInput("\(target): run \(run) has no entry \(parts[1])")
            }
            var seen = Set<String>()
            let signatures = try history.failureSignatures(of: entry).filter { seen.insert($0.id).inserted }
            guard !signatures.isEmpty else { throw ImageGateError.badInput("\(target): the entry failed no rule, so there is nothing to label") }
            return signatures
        }
    }

    /// `imagegate queue labels`: every label and the failures it matched.
    struct Labels: AsyncParsableCommand, ListingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every label: signature, rule, last day, note and link, the failure it stands for, and the latest failures it matched.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let listed: [(FailureLabel, [QueueHistory.Entry])] = try await ExitCode.guarding {
                let history = try database.open()
                return try history.labels().map { label in (label, try history.failures(withSignature: label.signature, limit: 5).map(\.0)) }
            }
            guard !listed.isEmpty else { return say("No labels.") }
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            for (label, entries) in listed {
                let days = label.until.map { label.applies(on: today) ? "until \($0)" : "expired after \($0)" } ?? "no end"
                say("\(label.signature)  \(label.rule)  \(days)  \(label.note)\(label.link.map { "  \($0)" } ?? "")")
                for line in label.text.split(separator: "\n").prefix(3) { say("    \(line)") }
                for entry in entries { say("    matched: run \(entry.runID)  \(entry.key)  \(entry.verdict.rawValue.uppercased())") }
            }
        }
    }
}

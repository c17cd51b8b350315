import Yams

/// One-line descriptions of YAML decoding failures, with the line and the
/// field where Yams knows them.
package enum YAMLErrors {
    package static func describe(_ error: Error) -> String {
        if let error = error as? YamlError {
            switch error {
            case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
                let where_ = "line \(mark.line)"
                return "\(where_): \(context?.description ?? "") \(problem)".replacingOccurrences(of: "  ", with: " ")
            default:
                return "\(error)".split(separator: "\n").first.map(String.init) ?? "invalid YAML"
            }
        }
        if let error = error as? DecodingError {
            switch error {
            case let .keyNotFound(key, context):
                return "missing field '\(path(context.codingPath + [key]))'"
            case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
                return "field '\(path(context.codingPath))': \(context.debugDescription)"
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)".split(separator: "\n").first.map(String.init) ?? "invalid YAML"
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }
}

import Yams
import ImageGateModel

/// A strict reader over a YAML document: every value knows its line, every
/// mapping must use only known keys, and every problem is an
/// bad-input ``ImageGateError`` `FILE:LINE: field: problem`.
package struct YAMLReader {
    package let source: String

    package init(source: String) {
        self.source = source
    }

    package func fail(_ node: Node?, _ field: String, _ problem: String) -> ImageGateError {
        let line = node?.mark.map { ":\($0.line)" } ?? ""
        return ImageGateError.badInput("\(source)\(line): \(field): \(problem)")
    }

    /// Parses `text` into its root node.
    package func root(_ text: String) throws -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ImageGateError.badInput("\(source): empty document") }
            return node
        } catch let error as YamlError {
            throw ImageGateError.badInput("\(source):\(YAMLErrors.describe(error).replacingOccurrences(of: "line ", with: ""))")
        }
    }

    /// The mapping's entries, after checking every key is one of `known`.
    package func mapping(_ node: Node, _ field: String, known: Set<String>) throws -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(node, field, "expected a mapping") }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, field, "keys must be strings") }
            guard known.contains(name) else {
                throw fail(key, field.isEmpty ? name : "\(field).\(name)", "unknown key (known: \(known.sorted().joined(separator: ", ")))")
            }
            entries[name] = value
        }
        return entries
    }

    package func string(_ node: Node, _ field: String) throws -> String {
        guard let scalar = node.scalar else { throw fail(node, field, "expected a string") }
        return scalar.string
    }

    package func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(try string(node, field)) else { throw fail(node, field, "expected a whole number") }
        guard range.contains(value) else { throw fail(node, field, "\(value) is not in \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    package func bool(_ node: Node, _ field: String) throws -> Bool {
        switch try string(node, field).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(node, field, "expected true or false")
        }
    }

    package func sequence(_ node: Node, _ field: String) throws -> [Node] {
        guard let sequence = node.sequence else { throw fail(node, field, "expected a list") }
        return Array(sequence)
    }

    package func strings(_ node: Node, _ field: String) throws -> [String] {
        try sequence(node, field).enumerated().map { try string($0.element, "\(field)[\($0.offset)]") }
    }
}

import Foundation

extension JSONEncoder {
    /// How every JSON report is written: indented, keys sorted (a diff of
    /// two reports shows what changed), slashes as they are.
    public static var report: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

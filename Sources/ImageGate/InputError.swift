/// Bad input from the user (missing file, corrupt image, bad YAML, unknown
/// rule ID): a one-line message naming the input and what is wrong. The CLI
/// exits 2 for it.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

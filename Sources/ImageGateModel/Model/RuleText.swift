/// A rule's words in one language: its title, what it requires, and how to
/// fix it. Every rule declares its Chinese text beside its English one
/// (``Rule/chinese``, ``BootRule/chinese``): a rule cannot be added without
/// both.
public struct RuleText: Sendable, Equatable {
    public var title: String
    public var required: String
    public var fix: String

    public init(title: String, required: String, fix: String) {
        self.title = title
        self.required = required
        self.fix = fix
    }
}

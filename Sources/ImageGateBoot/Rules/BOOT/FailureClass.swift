import ImageGateModel

/// One way a first boot dies, or is hurt: how the console says it (several
/// phrasings, across GRUB, the kernel, initramfs-tools, dracut, systemd and
/// cloud-init versions), which BOOT rule it breaks, what it means, its
/// likely causes and the fix, in English and Chinese. A fatal class ends
/// the boot as soon as its line arrives; the others are evidence.
public struct FailureClass: Sendable, Equatable {
    public struct Text: Sendable, Equatable {
        public var meaning: String
        public var causes: String
        public var fix: String
    }

    /// A short stable name (`root-not-found`).
    public let id: String
    /// Console texts; `*` stands for any run of characters. Matched as
    /// words of their own at their ends (``Badness/matches(_:)``).
    public let signatures: [String]
    public let fatal: Bool
    /// The signatures are prompts that wait for input with no newline
    /// (`grub rescue> `, `(initramfs) `): matched on the unfinished line too.
    public let prompt: Bool
    public let english: Text
    public let chinese: Text

    init(_ id: String, fatal: Bool, prompt: Bool = false, signatures: [String], english: Text, chinese: Text) {
        self.id = id
        self.signatures = signatures
        self.fatal = fatal
        self.prompt = prompt
        self.english = english
        self.chinese = chinese
    }

    public func text(_ language: Language) -> Text { language == .chinese ? chinese : english }

    /// The console patterns of this class, for the BOOT rule `rule`.
    func patterns(rule: String) -> [Badness] {
        signatures.map { Badness(text: $0, meaning: english.meaning, fatal: fatal, rule: rule, failureClass: id) }
    }

    /// The class called `id`, if any.
    public static func named(_ id: String) -> FailureClass? { all.first { $0.id == id } }
}

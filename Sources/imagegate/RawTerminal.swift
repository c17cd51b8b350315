import Foundation

/// A terminal put in raw mode (every key straight through, no echo) for
/// as long as this value is kept, then restored; nil when the descriptor
/// is not a terminal (a script's pipe).
final class RawTerminal {
    private let descriptor: Int32
    private var saved = termios()
    private var restored = false

    init?(_ descriptor: Int32) {
        guard isatty(descriptor) == 1, tcgetattr(descriptor, &saved) == 0 else { return nil }
        self.descriptor = descriptor
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(descriptor, TCSANOW, &raw) == 0 else { return nil }
    }

    func restore() {
        guard !restored else { return }
        restored = true
        tcsetattr(descriptor, TCSANOW, &saved)
    }

    deinit { restore() }
}

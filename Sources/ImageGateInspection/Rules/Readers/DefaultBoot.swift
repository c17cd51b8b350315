import ImageGateModel

/// The menu entry GRUB boots when nobody touches the keyboard: grub.cfg's
/// menu (with the BootLoaderSpec entries when it runs `blscfg`), the
/// `default` it sets, and grubenv beside it (`saved_entry`, a one-time
/// `next_entry`, `kernelopts`).
struct DefaultBoot {
    var menu: GrubMenu
    /// nil: the menu has no entry GRUB would boot.
    var entry: BootEntry?
    /// How it was chosen, for the report: `default "0" (line 20)`.
    var choice: String

    /// Most of grubenv read (GRUB's own block is 1024 bytes).
    static let environmentLimit: Int64 = 64 << 10

    /// nil when the image has no grub.cfg where its family keeps it.
    static func read(_ context: RuleContext) async throws -> DefaultBoot? {
        guard let path = try await context.facts.grubConfigPaths.asyncFirst({ try await context.fs.exists($0) }),
              let lines = try await context.fs.lines(path) else { return nil }
        let menu = GrubMenu(path: path, lines: lines)
        var environment: [String: String] = [:]
        let grubenv = GuestPath.directory(of: path) + "/grubenv"
        if let size = try await context.fs.size(grubenv), size <= environmentLimit, let text = try await context.fs.read(grubenv) {
            environment = GrubMenu.environment(text)
        }
        let items = (menu.usesBootLoaderSpec ? try await BootLoaderSpecEntries.read(context.fs, environment: environment) : []) + menu.entries
        let (value, set) = menu.defaultValue(environment: environment)
        var choice = "default \"\(value)\"" + (set.map { " (\(path) line \($0.line.number))" } ?? " (not set)")
        let chosen = GrubMenu.entry(named: value, in: items)
        if chosen?.fellBack == true { choice += " names no entry: GRUB boots the first" }
        return DefaultBoot(menu: menu, entry: chosen.map { BootEntry($0.entry) }, choice: choice)
    }
}

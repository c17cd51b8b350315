import ArgumentParser
import ImageGate
import ImageGateInspection

/// `imagegate profile`: the built-in platform profile (the seller guide's
/// settings), to start a profile of one's own from.
struct ProfileCommand: ParsableCommand, ListingCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Print the built-in platform profile (the seller guide's settings) as YAML, to copy and edit for --profile."
    )

    func run() throws {
        print(PlatformProfile.defaultYAML)
    }
}

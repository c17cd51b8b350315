import Foundation
import PackagePlugin

/// Writes `SourceCommit.swift` before every build: the git commit the
/// package's sources were checked out at, and whether they differ from it
/// (`imagegate --version`, every report). "unknown" when the sources are not
/// a git checkout or git is missing. The file is rewritten only when its
/// text changes, so an unchanged commit recompiles nothing.
@main
struct SourceCommitPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            set -u
            commit=$(git -C "$1" rev-parse HEAD 2>/dev/null) || commit=unknown
            modified=false
            if [ "$commit" != unknown ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then modified=true; fi
            mkdir -p "$2"
            text="/// Generated before each build by the SourceCommit plugin.
            package enum SourceCommit {
                package static let hash = \"$commit\"
                package static let modified = $modified
            }"
            if [ "$(cat "$2/SourceCommit.swift" 2>/dev/null)" != "$text" ]; then printf '%s\n' "$text" > "$2/SourceCommit.swift"; fi
            """#
        return [.prebuildCommand(displayName: "SourceCommit: the git commit of \(context.package.displayName)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}

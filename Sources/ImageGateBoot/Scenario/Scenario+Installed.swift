import Foundation
import ImageGateModel

extension Scenario {
    /// The scenarios installed with ImageGate (`make install`, the Debian
    /// package): `share/imagegate/Scenarios` beside the running program's
    /// `bin/`. Nil when there is no such folder (a source checkout).
    public static var installedFolder: String? {
        // No /proc: no installed folder to find; a scenario is then a path.
        guard let program = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let prefix = URL(fileURLWithPath: program).deletingLastPathComponent().deletingLastPathComponent()
        let folder = prefix.appendingPathComponent("share/imagegate/Scenarios").path
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue ? folder : nil
    }

    /// The scenario file at `path`; or, when there is no such file and
    /// `path` is a bare name (`reinstance` or `reinstance.yaml`), the
    /// installed scenario of that name.
    public static func load(pathOrName path: String) throws -> Scenario {
        if FileManager.default.fileExists(atPath: path) || path.contains("/") { return try load(path: path) }
        guard let folder = installedFolder else { return try load(path: path) }
        let file = folder + "/" + (path.hasSuffix(".yaml") ? path : path + ".yaml")
        guard FileManager.default.fileExists(atPath: file) else {
            // An unreadable folder lists no names; the error line stands.
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
            throw ImageGateError.badInput("\(TerminalText.sanitize(path)): no such scenario file, nor an installed scenario of that name (installed: \(names.joined(separator: ", ")))")
        }
        return try load(path: file)
    }
}

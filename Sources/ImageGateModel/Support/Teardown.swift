import Foundation

/// Teardown steps (destroying a VM, removing a run folder, closing a file)
/// that must not stop the rest of the teardown: each is tried, and a
/// failure is logged as a warning, never swallowed. Removing what is
/// already gone is no failure.
package enum Teardown {
    package static func attempt(_ what: @autoclosure () -> String, _ body: () throws -> Void) {
        do {
            try body()
        } catch where isAlreadyGone(error) {
        } catch {
            Log.warning("teardown: \(what()) failed: \(error)")
        }
    }

    package static func attempt(_ what: @autoclosure () -> String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch where isAlreadyGone(error) {
        } catch {
            Log.warning("teardown: \(what()) failed: \(error)")
        }
    }

    /// Removes a file or folder.
    package static func remove(_ path: String) {
        attempt("removing \(path)") { try FileManager.default.removeItem(atPath: path) }
    }

    private static func isAlreadyGone(_ error: any Error) -> Bool {
        if let error = error as? CocoaError, error.code == .fileNoSuchFile { return true }
        return (error as NSError).domain == NSPOSIXErrorDomain && (error as NSError).code == Int(ENOENT)
    }
}

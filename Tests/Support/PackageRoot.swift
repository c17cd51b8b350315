import Foundation

/// The checkout the tests run from: its Scenarios, Fixtures and build.
public enum PackageRoot {
    public static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The CLI that `swift build` made.
    public static var imagegate: String { path + "/.build/debug/imagegate" }
}

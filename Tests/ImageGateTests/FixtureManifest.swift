import Foundation
import Yams
import XCTest

/// Fixtures/defects.yaml: the defective fixture images and what each breaks.
struct FixtureManifest: Decodable {
    struct Variant: Decodable {
        var name: String
        var changed: String
        var shownBy: [String]
        var fails: [String]
        var warns: [String]?
        var bootFails: [String]?
        var differs: [Fact]

        enum CodingKeys: String, CodingKey {
            case name, changed, fails, warns, differs
            case shownBy = "shown_by", bootFails = "boot_fails"
        }

        var isStatic: Bool { shownBy.contains("static") }
    }

    /// One way a variant differs from the conformant image.
    struct Fact: Decodable {
        var path: String
        var contains: String?
        var exists: Bool?
        var absent: Bool?
        var link: String?
    }

    var conformant: String
    var variants: [Variant]

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Where `make fixtures` puts the images (`IMAGEGATE_FIXTURES` overrides).
    static var imageDirectory: String {
        ProcessInfo.processInfo.environment["IMAGEGATE_FIXTURES"] ?? packageRoot + "/Fixtures/cache"
    }

    static func load() throws -> FixtureManifest {
        let text = try String(contentsOfFile: packageRoot + "/Fixtures/defects.yaml", encoding: .utf8)
        return try YAMLDecoder().decode(FixtureManifest.self, from: text)
    }

    /// The path of a built fixture image; fails the test if it is missing.
    static func image(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = imageDirectory + "/" + (name.hasSuffix(".qcow2") ? name : name + ".qcow2")
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("fixture \(path) is missing: run `make fixtures`", file: file, line: line)
            throw XCTSkip("fixture missing")
        }
        return path
    }
}

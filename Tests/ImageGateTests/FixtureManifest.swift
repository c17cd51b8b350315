import Foundation
import ImageGate
import ImageGateModel
import TestSupport
import XCTest
import Yams

/// Fixtures/defects.yaml: the defective fixture images and what each breaks.
struct FixtureManifest: Decodable {
    struct Variant: Decodable {
        var name: String
        var changed: String
        var shownBy: [String]
        var fails: [String]
        var warns: [String]?
        var bootFails: [String]?
        /// What fails only after the reboot step (Scenarios/reboot.yaml).
        var rebootFails: [String]?
        /// Could-not-check beyond the conformant image's own.
        var unchecked: [String]?
        var differs: [Fact]
        /// Texts the failing rules' evidence must hold.
        var evidence: [String]?

        enum CodingKeys: String, CodingKey {
            case name, changed, fails, warns, differs, unchecked, evidence
            case shownBy = "shown_by", bootFails = "boot_fails", rebootFails = "reboot_fails"
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
        /// The disk (`path` is its device) has code in its first 440 bytes.
        var bootCode: Bool?

        enum CodingKeys: String, CodingKey {
            case path, contains, exists, absent, link
            case bootCode = "boot_code"
        }
    }

    /// A Windows variant: judged statically only.
    struct WindowsVariant: Decodable {
        var name: String
        var changed: String
        var fails: [String]
        var warns: [String]?
        /// Text the failing or warning rule's evidence holds.
        var evidence: String
    }

    var conformant: String
    var conformantUnchecked: [String]
    var variants: [Variant]
    var windowsConformant: String
    var windowsConformantUnchecked: [String]
    /// The platform profile the Windows fixtures are judged with (YAML).
    var windowsProfile: String
    var windowsVariants: [WindowsVariant]

    enum CodingKeys: String, CodingKey {
        case conformant, variants
        case conformantUnchecked = "conformant_unchecked"
        case windowsConformant = "windows_conformant", windowsConformantUnchecked = "windows_conformant_unchecked"
        case windowsProfile = "windows_profile", windowsVariants = "windows_variants"
    }

    static var packageRoot: String { PackageRoot.path }

    /// Where `make fixtures` puts the images (`IMAGEGATE_FIXTURES` overrides).
    static var imageDirectory: String {
        ProcessInfo.processInfo.environment["IMAGEGATE_FIXTURES"] ?? packageRoot + "/Fixtures/cache"
    }

    static func load() throws -> FixtureManifest {
        let text = try String(contentsOfFile: packageRoot + "/Fixtures/defects.yaml", encoding: .utf8)
        return try YAMLDecoder().decode(FixtureManifest.self, from: text)
    }

    /// The path of a built fixture image in the cache; fails the test if it
    /// is missing. A variant there is a thin overlay on the conformant image,
    /// which ImageGate refuses as a candidate: use `withCandidate` to check it.
    static func image(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = imageDirectory + "/" + (name.hasSuffix(".qcow2") ? name : name + ".qcow2")
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("fixture \(path) is missing: run `make fixtures`", file: file, line: line)
            throw XCTSkip("fixture missing")
        }
        return path
    }

    /// Runs `body` on the fixture as a vendor hands it in: one standalone
    /// qcow2. A variant is flattened into a temporary copy (about a second),
    /// removed when `body` returns; copies left by a killed run are removed
    /// first.
    static func withCandidate<T>(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                                 _ body: (String) async throws -> T) async throws -> T {
        let copy = try flatten(name, file: file, line: line)
        defer { if let copy { try? FileManager.default.removeItem(atPath: copy) } }
        return try await body(copy ?? image(name, file: file, line: line))
    }

    /// `withCandidate` for synchronous tests.
    static func withCandidate<T>(_ name: String, file: StaticString = #filePath, line: UInt = #line,
                                 _ body: (String) throws -> T) throws -> T {
        let copy = try flatten(name, file: file, line: line)
        defer { if let copy { try? FileManager.default.removeItem(atPath: copy) } }
        return try body(copy ?? image(name, file: file, line: line))
    }

    /// The fixture as the overlay on its base it is, described rather than
    /// validated (``ImageFile/validate(_:limits:)`` refuses a backing file):
    /// for tests of what the rules find, which read the guest the same way
    /// through the chain, without flattening a 700 MB copy per variant.
    static func described(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> ImageFile {
        let path = try image(name, file: file, line: line)
        let info = try Shell.run("qemu-img", ["info", "-U", "--output=json", path])
        guard let json = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any],
              let format = json["format"] as? String, let size = json["virtual-size"] as? NSNumber else {
            XCTFail("qemu-img info \(path): \(info.stderr)", file: file, line: line)
            throw XCTSkip("fixture not described")
        }
        return ImageFile(path: path, format: format, virtualSize: size.int64Value)
    }

    private static let copyPrefix = "imagegate-fixture-"

    /// A standalone copy of the fixture, or nil if it is standalone already.
    private static func flatten(_ name: String, file: StaticString, line: UInt) throws -> String? {
        let path = try image(name, file: file, line: line)
        let info = try Shell.run("qemu-img", ["info", "-U", "--output=json", path])
        guard info.stdout.contains("\"backing-filename\"") else { return nil }
        reapCopies()
        let pid = ProcessInfo.processInfo.processIdentifier
        let base = (name as NSString).lastPathComponent.replacingOccurrences(of: ".qcow2", with: "")
        let copy = NSTemporaryDirectory() + "/\(copyPrefix)\(pid)-\(base)-\(UUID().uuidString.prefix(8)).qcow2"
        let convert = try Shell.run("qemu-img", ["convert", "-U", "-O", "qcow2", path, copy])
        guard convert.status == 0 else {
            try? FileManager.default.removeItem(atPath: copy)
            XCTFail("could not flatten \(path): \(convert.stderr)", file: file, line: line)
            throw XCTSkip("fixture not flattened")
        }
        return copy
    }

    /// Removes copies whose process is gone.
    private static func reapCopies() {
        let tmp = NSTemporaryDirectory()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where entry.hasPrefix(copyPrefix) {
            guard let pid = Int32(entry.dropFirst(copyPrefix.count).prefix { $0 != "-" }),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: tmp + "/" + entry)
        }
    }
}

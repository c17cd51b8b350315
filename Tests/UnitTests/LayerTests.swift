import Foundation
import TestSupport
import XCTest

/// Layers go one way, as the package declares them: the wrappers know no
/// policy, the core's four layers (model, inspection, boot, check) each
/// know only those before it, and a vendor's test library does not pull
/// the queue (or GRDB).
/// Reads `swift package describe --type json` as `make test` and `make
/// test-unit` write it before the tests (SwiftPM holds the build folder's
/// lock while tests run, so a test cannot ask it).
final class LayerTests: XCTestCase {
    static var descriptionPath: String { PackageRoot.path + "/.build/package-description.json" }

    struct Description: Decodable {
        struct Target: Decodable {
            var name: String
            var path: String
            var target_dependencies: [String]?
            var product_dependencies: [String]?
        }
        var targets: [Target]
    }

    /// Every target and product `name` depends on, directly or not.
    func closure(of name: String, in targets: [String: Description.Target]) -> Set<String> {
        var seen: Set<String> = []
        var todo = [name]
        while let next = todo.popLast() {
            guard let target = targets[next] else { continue }
            for dependency in (target.target_dependencies ?? []) + (target.product_dependencies ?? []) where seen.insert(dependency).inserted {
                todo.append(dependency)
            }
        }
        return seen
    }

    func testDependenciesGoOneWay() throws {
        guard let json = FileManager.default.contents(atPath: Self.descriptionPath) else {
            throw XCTSkip("\(Self.descriptionPath) is missing: make test-unit writes it")
        }
        let description = try JSONDecoder().decode(Description.self, from: json)
        let targets = Dictionary(description.targets.map { ($0.name, $0) }) { first, _ in first }
        for vendorLibrary in ["ImageGateTesting", "ImageGateXCTest"] {
            let dependencies = closure(of: vendorLibrary, in: targets)
            XCTAssertTrue(dependencies.contains("ImageGate"), vendorLibrary)
            XCTAssertFalse(dependencies.contains("GRDB"), "\(vendorLibrary) links GRDB: \(dependencies.sorted())")
            XCTAssertFalse(dependencies.contains("ImageGateQueue"), vendorLibrary)
        }
        XCTAssertTrue(closure(of: "ImageGateQueue", in: targets).contains("GRDB"))
        // The core's layers, each knowing only those before it: the model
        // knows neither libguestfs nor libvirt, inspection not libvirt.
        let layers = ["ImageGateModel", "ImageGateInspection", "ImageGateBoot", "ImageGate"]
        for (index, layer) in layers.enumerated() {
            let dependencies = closure(of: layer, in: targets)
            XCTAssertEqual(dependencies.intersection(layers), Set(layers[..<index]), layer)
            XCTAssertFalse(dependencies.contains("GRDB"), "\(layer) links GRDB")
        }
        XCTAssertFalse(closure(of: "ImageGateModel", in: targets).contains("Guestfs"), "the model reads no guest")
        XCTAssertFalse(closure(of: "ImageGateModel", in: targets).contains("Libvirt"), "the model boots nothing")
        XCTAssertFalse(closure(of: "ImageGateInspection", in: targets).contains("Libvirt"), "inspection boots nothing")
        for wrapper in ["Libvirt", "Guestfs", "Libcrypto"] {
            XCTAssertTrue(closure(of: wrapper, in: targets).isDisjoint(with: layers), "\(wrapper) is a thin wrapper: no policy")
        }
    }

    /// Every file shows the layers it uses: each of the package's own
    /// modules it imports is a direct dependency of its target, and no
    /// module re-exports another (`@_exported`) to hide that.
    func testEveryImportOfThePackagesOwnModulesIsDeclared() throws {
        guard let json = FileManager.default.contents(atPath: Self.descriptionPath) else {
            throw XCTSkip("\(Self.descriptionPath) is missing: make test-unit writes it")
        }
        let targets = try JSONDecoder().decode(Description.self, from: json).targets
        let own = Set(targets.map(\.name))
        var undeclared: [String] = []
        for target in targets {
            let declared = Set((target.target_dependencies ?? []) + (target.product_dependencies ?? []))
            let folder = PackageRoot.path + "/" + target.path
            guard let files = FileManager.default.enumerator(atPath: folder)?.compactMap({ $0 as? String }).filter({ $0.hasSuffix(".swift") }) else { continue }
            for file in files {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("@_exported") {
                    undeclared.append("\(target.path)/\(file) re-exports: \(line)")
                }
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    let module = String(line.split(separator: " ").last ?? "")
                    if own.contains(module), module != target.name, !declared.contains(module) {
                        undeclared.append("\(target.path)/\(file) imports \(module)")
                    }
                }
            }
        }
        XCTAssertEqual(undeclared, [], "imports their targets do not declare, or re-exports")
    }
}

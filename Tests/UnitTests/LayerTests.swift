import Foundation
import TestSupport
import XCTest

/// Layers go one way, as the package declares them: the wrappers know no
/// policy, and a vendor's test library does not pull the queue (or GRDB).
/// Reads `swift package describe --type json` as `make test` and `make
/// test-unit` write it before the tests (SwiftPM holds the build folder's
/// lock while tests run, so a test cannot ask it).
final class LayerTests: XCTestCase {
    static var descriptionPath: String { PackageRoot.path + "/.build/package-description.json" }

    struct Description: Decodable {
        struct Target: Decodable {
            var name: String
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
        for wrapper in ["Libvirt", "Guestfs"] {
            XCTAssertFalse(closure(of: wrapper, in: targets).contains("ImageGate"), "\(wrapper) is a thin wrapper: no policy")
        }
    }
}

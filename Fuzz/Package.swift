// swift-tools-version:6.0
// libFuzzer targets for the parsers that read a guest's bytes. A package of
// its own, so that the main package's `swift build` never sees an executable
// without `main` (libFuzzer supplies it). Built and run by `make fuzz`.
import PackageDescription

let package = Package(
    name: "ImageGateFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "ImageGateFuzz",
            dependencies: [.product(name: "ImageGate", package: "ImageGate")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

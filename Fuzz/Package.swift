// swift-tools-version:6.0
// libFuzzer targets for the parsers that read a guest's bytes. A package of
// its own, so that the main package's `swift build` never needs libFuzzer's
// runtime (its `main.swift` calls `LLVMFuzzerRunDriver`, which `make fuzz`
// links in, with AddressSanitizer and libFuzzer's coverage). Built and run
// by `make fuzz`.
import PackageDescription

let package = Package(
    name: "ImageGateFuzz",
    // The main package, through a link named ImageGate that `make fuzz`
    // makes (a path dependency is known by its folder name, and a clone
    // may be in a folder of any name).
    dependencies: [.package(path: "../.build/fuzz-link/ImageGate")],
    targets: [
        .executableTarget(
            name: "ImageGateFuzz",
            dependencies: [.product(name: "ImageGate", package: "ImageGate"), .product(name: "ImageGateQueue", package: "ImageGate"),
                           .product(name: "Guestfs", package: "ImageGate")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

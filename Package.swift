// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ImageGate",
    // Linux only (/proc, prctl, mount namespaces, libvirt's embedded QEMU
    // driver): no Apple platform is declared, and `Support/Platform.swift`
    // stops a build elsewhere with one line saying what to do (the dev VM).
    products: [
        // The core's four layers: a client imports the layer whose types it names.
        .library(name: "ImageGate", targets: ["ImageGate", "ImageGateBoot", "ImageGateInspection", "ImageGateModel"]),
        .library(name: "ImageGateQueue", targets: ["ImageGateQueue"]),
        .library(name: "ImageGateXCTest", targets: ["ImageGateXCTest"]),
        .library(name: "ImageGateTesting", targets: ["ImageGateTesting"]),
        .library(name: "Libvirt", targets: ["Libvirt"]),
        .library(name: "Guestfs", targets: ["Guestfs"]),
        .executable(name: "imagegate", targets: ["imagegate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries, found with pkg-config.
        .systemLibrary(
            name: "CLibvirt",
            pkgConfig: "libvirt",
            providers: [.apt(["libvirt-dev"])]
        ),
        .systemLibrary(
            name: "CGuestfs",
            pkgConfig: "libguestfs",
            providers: [.apt(["libguestfs-dev"])]
        ),
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // What Swift cannot do for the process itself: become the subreaper
        // (prctl is variadic), and enter a mount namespace of its own before
        // any thread starts (a constructor).
        .target(name: "CHostProcess"),

        // The one place blocking C calls are run: a serial thread per handle.
        .target(name: "SerialQueue"),

        // Thin safe wrappers: C types never leak out of these.
        .target(name: "Libvirt", dependencies: ["CLibvirt", "SerialQueue"]),
        .target(name: "Guestfs", dependencies: ["CGuestfs", "SerialQueue"]),
        .target(name: "Libcrypto", dependencies: ["CLibcrypto"]),

        // The core, in four layers, each target depending only on those
        // before it. The model: findings, verdicts, the one error type,
        // limits, texts in both languages, the candidate file and its
        // digest, the state folder, and small helpers.
        .target(
            name: "ImageGateModel",
            dependencies: [
                "SerialQueue", "Libcrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            plugins: ["SourceCommit"]
        ),
        // The git commit the sources were built from, for --version and reports.
        .plugin(name: "SourceCommit", capability: .buildTool()),
        // The static phase: libguestfs appliances, what they read of a
        // guest, and the static rules (IMG, LNX, SEC, WIN) with their readers.
        .target(
            name: "ImageGateInspection",
            dependencies: [
                "ImageGateModel", "Guestfs", "SerialQueue",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Boots: scenarios, the boot sequence and its judgement, the BOOT
        // rules and failure classes, hosts and sites (local and remote),
        // reapers, the accelerator probe, kept runs, post-mortem diagnosis.
        .target(
            name: "ImageGateBoot",
            dependencies: [
                "ImageGateInspection", "ImageGateModel", "Libvirt", "Guestfs", "CHostProcess", "SerialQueue",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // A whole check and its reports (every renderer and the one
        // ReportWriter), and support's reproduction bundles and replay.
        .target(
            name: "ImageGate",
            dependencies: ["ImageGateBoot", "ImageGateInspection", "ImageGateModel"]
        ),

        // The nightly review queue: manifest, fleet, history (the only
        // target that links GRDB), diff, dashboard.
        .target(
            name: "ImageGateQueue",
            dependencies: [
                "ImageGate", "ImageGateBoot", "ImageGateInspection", "ImageGateModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // What a vendor's own test target imports: Swift Testing (three
        // lines, one test case per BOOT rule) or an XCTest base class.
        .target(name: "ImageGateTesting", dependencies: ["ImageGate", "ImageGateBoot"]),
        .target(name: "ImageGateXCTest", dependencies: ["ImageGate", "ImageGateBoot", "ImageGateModel"]),

        // The command line: a thin @main.
        .executableTarget(
            name: "imagegate",
            dependencies: [
                "ImageGate", "ImageGateQueue", "ImageGateBoot", "ImageGateInspection", "ImageGateModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests. `TestSupport` runs programs and finds the checkout for both
        // test targets; `UnitTests` needs no VM and no appliance (make
        // test-unit); the others boot guests and launch appliances.
        .target(name: "TestSupport", dependencies: ["ImageGate", "ImageGateBoot", "ImageGateModel"], path: "Tests/Support"),
        .testTarget(name: "UnitTests", dependencies: ["ImageGate", "ImageGateBoot", "ImageGateInspection", "ImageGateModel", "ImageGateQueue",
                                                      "ImageGateTesting", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "LibvirtTests", dependencies: ["Libvirt", "ImageGate", "ImageGateBoot", "ImageGateModel"]),
        .testTarget(name: "GuestfsTests", dependencies: ["Guestfs", "ImageGate", "ImageGateInspection"]),
        .testTarget(name: "ImageGateTests", dependencies: ["ImageGate", "ImageGateBoot", "ImageGateInspection", "ImageGateModel", "ImageGateQueue",
                                                           "ImageGateXCTest", "ImageGateTesting", "TestSupport", "Libvirt", "Guestfs",
                                                           .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)

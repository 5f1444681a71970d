// swift-tools-version: 6.1
import PackageDescription

/// Settings every Cadence target shares: Swift 6 language mode comes from the tools version;
/// these two upcoming features keep existentials explicit and imports honest.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Cadence",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cadence", targets: ["cadence"]),
        .library(name: "CadenceCore", targets: ["CadenceCore"]),
        .library(name: "CadenceStore", targets: ["CadenceStore"]),
        .library(name: "CadenceEngine", targets: ["CadenceEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Pure domain: parses bytes into campaigns and configuration, with located diagnostics. No I/O.
        .target(
            name: "CadenceCore",
            dependencies: [
                .product(name: "Ink", package: "Ink"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The SQLite store: schema, frozen migrations, and one transaction per invariant-keeping write.
        .target(
            name: "CadenceStore",
            dependencies: ["CadenceCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // Reads the project's files from disk, streams candidates, and drives the store.
        .target(
            name: "CadenceEngine",
            dependencies: ["CadenceCore", "CadenceStore", .product(name: "CSV", package: "CSV.swift")],
            swiftSettings: strictSettings
        ),
        // The command-line tool: parses arguments, calls one Engine function per command, prints.
        .executableTarget(
            name: "cadence",
            dependencies: [
                "CadenceEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks that need the store from the inside (see BENCHMARKS.md); not run in CI.
        .executableTarget(
            name: "CadenceBenchmarks",
            dependencies: ["CadenceStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceCoreTests",
            dependencies: [
                "CadenceCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceStoreTests",
            dependencies: ["CadenceStore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceEngineTests",
            dependencies: ["CadenceEngine"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceCLITests",
            dependencies: ["cadence", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
    ]
)

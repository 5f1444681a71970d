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
        .library(name: "CadenceDemo", targets: ["CadenceDemo"]),
        .library(name: "CadenceGmail", targets: ["CadenceGmail"]),
        .library(name: "CadenceFakeGmail", targets: ["CadenceFakeGmail"]),
        .executable(name: "cadence-fake-gmail", targets: ["cadence-fake-gmail"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already in the graph through the HTTP packages; declared because Cadence imports their modules directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure domain: parses bytes into campaigns and configuration, with located diagnostics. No I/O.
        .target(
            name: "CadenceCore",
            dependencies: [
                .product(name: "Ink", package: "Ink"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The incoming-mail phrase tables, one per language, compiled into the module (Core reads no files).
            resources: [.embedInCode("Replies/Phrases")],
            swiftSettings: strictSettings
        ),
        // The SQLite store: schema, frozen migrations, and one transaction per invariant-keeping write.
        .target(
            name: "CadenceStore",
            dependencies: ["CadenceCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL backend (postgres-nio), for teams that outgrow one SQLite file: connection settings as libpq
        // reads them, the schema and its migrations under an advisory lock. A module of its own so the SQLite store's
        // edit-build loop does not compile it, and so postgres-nio stays out of Core and the SQLite store.
        .target(
            name: "CadencePostgres",
            dependencies: [
                "CadenceCore", "CadenceStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The Gmail REST and OAuth client: credentials, access tokens, retries. Talks HTTP; knows nothing of campaigns.
        .target(
            name: "CadenceGmail",
            dependencies: [
                "CadenceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Cadence's own HTTP endpoints (Hummingbird): the OAuth loopback redirect and the Gmail push endpoint; tracking next.
        .target(
            name: "CadenceServer",
            dependencies: [
                "CadenceCore", "CadenceStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // A strict stand-in for Gmail and Google's OAuth endpoints, for tests, the demo sandbox and by hand.
        .target(
            name: "CadenceFakeGmail",
            dependencies: [
                "CadenceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "cadence-fake-gmail",
            dependencies: ["CadenceCore", "CadenceFakeGmail", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        // Reads the project's files from disk, streams candidates, and drives the store.
        .target(
            name: "CadenceEngine",
            dependencies: [
                "CadenceCore", "CadenceStore", "CadenceGmail", "CadenceServer", "CadencePostgres",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The example project compiled into the binary (its files are links to the repository's own copies), which
        // `cadence init` writes, and `cadence demo`, which runs it through the outbox or a sandbox Gmail (the fake,
        // on 127.0.0.1). Apart from the Engine, so that the Engine does not link the fake Gmail.
        .target(
            name: "CadenceDemo",
            dependencies: [
                "CadenceCore", "CadenceStore", "CadenceEngine", "CadenceGmail", "CadenceFakeGmail", "CadenceServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.embedInCode("Example")],
            swiftSettings: strictSettings
        ),
        // The command-line tool: parses arguments, calls one Engine function per command, prints.
        .executableTarget(
            name: "cadence",
            dependencies: [
                "CadenceCore", "CadenceStore", "CadenceEngine", "CadenceDemo", "CadenceGmail", "CadenceServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks that need the store from the inside (see BENCHMARKS.md); not run in CI.
        .executableTarget(
            name: "CadenceBenchmarks",
            dependencies: [
                "CadenceCore", "CadenceStore", "CadenceEngine", "CadenceGmail", "CadenceFakeGmail", "CadenceServer", "CadencePostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The classifier's throughput on the corpus (BENCHMARKS.md); only Core, so its release build is quick.
        .executableTarget(
            name: "CadenceClassifyBenchmark",
            dependencies: ["CadenceCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceCoreTests",
            dependencies: [
                "CadenceCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            // Fixtures are read from the source tree (`#filePath`), as the corpus test and `cadence classify` read them.
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceStoreTests",
            dependencies: ["CadenceCore", "CadenceStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // Runs against a real PostgreSQL server named by CADENCE_TEST_POSTGRES (`.ci/run` starts a throwaway one);
        // without it the tests that need the server are skipped, saying why.
        .testTarget(
            name: "CadencePostgresTests",
            dependencies: [
                "CadenceCore", "CadencePostgres", "CadenceStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceEngineTests",
            dependencies: [
                "CadenceCore", "CadenceStore", "CadenceEngine", "CadenceGmail", "CadencePostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                // Only for the fuzz test that holds CSVParser to the reader it replaced.
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceDemoTests",
            dependencies: ["CadenceCore", "CadenceEngine", "CadenceDemo"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceFakeGmailTests",
            dependencies: [
                "CadenceCore", "CadenceFakeGmail",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CadenceGmailTests",
            dependencies: [
                "CadenceCore", "CadenceGmail", "CadenceFakeGmail", "CadenceEngine", "CadenceStore", "CadenceServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // zlib from the system, only for the tests that read the PNG Chromium makes of the report.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .testTarget(
            name: "CadenceCLITests",
            dependencies: [
                "cadence", "CadenceCore", "CadenceStore", "CadenceFakeGmail", "CZlib", .product(name: "GRDB", package: "GRDB.swift"),
                // The scratch databases of the `cadence db migrate` test (PostgresTestServer.swift is shared by a link).
                "CadencePostgres", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)

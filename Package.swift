// swift-tools-version:6.1
// WalletBridge: hardware-wallet bridge and transfer-approval service for Linux.
// No Swift package dependencies: the toolchain plus Debian C libraries through module maps
// (see ../shared/reference/build-notes.md and the Makefile's `deps` target for the apt packages).
import PackageDescription

/// A C library from Debian, reached through `Sources/<name>/module.modulemap` + `shim.h`.
func debianLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "WalletBridge",
    products: [
        .executable(name: "walletbridge", targets: ["walletbridge"]),
        .executable(name: "walletbridge-bench", targets: ["walletbridge-bench"]),
        .library(name: "BridgeCore", targets: ["BridgeCore"]),
        .library(name: "BridgeCrypto", targets: ["BridgeCrypto"]),
        .library(name: "BridgeDevices", targets: ["BridgeDevices"]),
        .library(name: "BridgeSimulator", targets: ["BridgeSimulator"]),
        .library(name: "BridgeApprovals", targets: ["BridgeApprovals"]),
        .library(name: "BridgeStore", targets: ["BridgeStore"]),
    ],
    targets: [
        // C system libraries (Debian -dev packages).
        debianLibrary("CSecp256k1", pkgConfig: "libsecp256k1", apt: "libsecp256k1-dev"),
        // libcrypto: only the benchmarks, as the baseline beside BridgeCrypto (which hashes with nettle).
        debianLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        debianLibrary("CNettle", pkgConfig: "nettle", apt: "nettle-dev"),
        // libmicrohttpd (libmicrohttpd-dev), libcurl (libcurl4-openssl-dev) and libpq (libpq-dev) are opened on first use
        // rather than linked: they bring some 35 further libraries that the command-line tool's device commands never
        // use (Sources/CLazyLibrary/include/CLazyLibrary.h). So are hidapi (libhidapi-dev), libusb (libusb-1.0-0-dev)
        // and SQLite (libsqlite3-dev), which a command reaching a simulator or the service's API never needs. Their
        // headers come from the Makefile's `deps`.
        .target(name: "CLazyLibrary"),
        .target(name: "CMicroHTTPD", dependencies: ["CLazyLibrary"]),
        .target(name: "CCurl", dependencies: ["CLazyLibrary"]),
        .target(name: "CLibPQ", dependencies: ["CLazyLibrary"]),
        .target(name: "CHIDAPI", dependencies: ["CLazyLibrary"]),
        .target(name: "CLibUSB", dependencies: ["CLazyLibrary"]),
        .target(name: "CSQLite", dependencies: ["CLazyLibrary"]),

        // The one libc call Swift cannot make itself (prctl is variadic): naming a thread.
        .target(name: "CPlatform"),
        // Error vocabulary (CONTRACT codes), exact JSON, hex, and the threads and locks every layer shares.
        .target(name: "BridgeCore", dependencies: ["CPlatform"]),
        // Hashes, secp256k1, BIP-32/39, Base58/Bech32, EIP-55/191/712, BIP-137.
        .target(
            name: "BridgeCrypto",
            dependencies: ["BridgeCore", "CSecp256k1", "CNettle"],
            // Files/bip39-english.txt is compiled in by the EmbedFiles plugin: no bundle to find at run time, and no
            // Foundation `Bundle` in the binary.
            exclude: ["Files"],
            // NFKD for BIP-39 passphrases: the ICU that the toolchain ships for swift-foundation (String+NFKD.swift).
            linkerSettings: [.linkedLibrary("_FoundationICU"), .linkedLibrary("stdc++")],
            plugins: ["EmbedFiles"]
        ),
        // Sans-I/O device protocols (Ledger HID framing + APDUs, Trezor protocol v1 + protobuf) and the device interface.
        .target(name: "BridgeDevices", dependencies: ["BridgeCore", "BridgeCrypto"]),
        // Real links: hidapi (hidraw: Ledger, legacy Trezor One), libusb (Trezor WebUSB), TCP (Speculos), UDP (Trezor emulator).
        .target(name: "BridgeUSB", dependencies: ["BridgeCore", "BridgeDevices", "CHIDAPI", "CLibUSB"]),
        // Simulated devices and transcript replay: ships like a testing module.
        .target(name: "BridgeSimulator", dependencies: ["BridgeCore", "BridgeCrypto", "BridgeDevices"]),
        // The simulators as real USB devices through the kernel's gadget framework (configfs HID, gadgetfs).
        .target(name: "BridgeUSBGadget", dependencies: ["BridgeCore", "BridgeDevices", "BridgeSimulator"]),
        // The session manager: money, orders, policies, operators, device-signed approvals, audit chain (pure logic).
        .target(name: "BridgeApprovals", dependencies: ["BridgeCore", "BridgeCrypto"]),
        // The session manager's durable store on SQLite (WAL, synchronous=FULL, versioned migrations).
        .target(name: "BridgeStore", dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "CSQLite"]),
        // The session manager's store on PostgreSQL (libpq): several `serve` instances on one database (CONTRACT 9).
        .target(name: "BridgePostgres", dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "CLibPQ"]),
        // The operator console's files (HTML, CSS, JavaScript under Sources/BridgeConsole/Files), built into the binary
        // by the EmbedFiles plugin: no npm, no CDN, nothing read from disk at run time.
        .target(name: "BridgeConsole", exclude: ["Files"], plugins: ["EmbedFiles"]),
        // Turns a target's Files folder into Swift byte arrays (the console's assets); run by the EmbedFiles plugin.
        .executableTarget(name: "embed-files", path: "Plugins/EmbedFilesTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        // The HTTP service: libmicrohttpd server, the CRM's External Wallet API, the operator API and its event stream,
        // the operator console, webhooks, metrics.
        .target(
            name: "BridgeServer",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgeStore", "BridgeConsole", "CMicroHTTPD", "CCurl"]
        ),
        // The command-line tool as a library, so tests run commands in-process.
        .target(
            name: "WalletBridgeCLI",
            dependencies: [
                "BridgeCore", "BridgeCrypto", "BridgeDevices", "BridgeUSB", "BridgeSimulator", "BridgeApprovals", "BridgeStore",
                "BridgePostgres", "BridgeServer", "BridgeUSBGadget",
            ]
        ),
        .executableTarget(name: "walletbridge", dependencies: ["WalletBridgeCLI"]),
        .executableTarget(
            name: "walletbridge-bench",
            dependencies: [
                "BridgeCore", "BridgeCrypto", "BridgeDevices", "BridgeSimulator", "BridgeApprovals", "BridgeStore",
                "BridgeServer", "BridgeUSB", "CSecp256k1", "CCrypto", "CNettle", "CSQLite",
            ],
            path: "Benchmarks/walletbridge-bench"
        ),
        // Fuzz targets: the JSON parser, the CRM request decoder and signature check, MinorUnits.parse. `make fuzz`
        // builds it with libFuzzer (-sanitize=fuzzer -DFUZZING); a plain build runs seeded random inputs instead.
        .executableTarget(
            name: "walletbridge-fuzz",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgeServer", "CFuzzerDriver"],
            path: "Fuzz/walletbridge-fuzz"
        ),
        // The declaration of libFuzzer's driver (its code comes with -sanitize=fuzzer).
        .systemLibrary(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),

        .testTarget(name: "BridgeCoreTests", dependencies: ["BridgeCore"]),
        .testTarget(
            name: "BridgeCryptoTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "TestVectors"]
        ),
        .testTarget(
            name: "BridgeDevicesTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeDevices", "BridgeSimulator", "TestVectors"]
        ),
        .testTarget(
            name: "BridgeSimulatorTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeDevices", "BridgeSimulator", "BridgeUSB", "TestVectors"]
        ),
        .testTarget(name: "BridgeUSBTests", dependencies: ["BridgeCore", "BridgeDevices", "BridgeUSB"]),
        .testTarget(
            name: "BridgeServerTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgeStore", "BridgeServer", "TestVectors",
                           "CLazyLibrary", "CCurl", "CLibPQ", "CMicroHTTPD", "CHIDAPI", "CLibUSB", "CSQLite",
                           "ProcessTestSupport"]
        ),
        .testTarget(
            name: "BridgeApprovalsTests", dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "TestVectors"]
        ),
        .testTarget(
            name: "BridgeStoreTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgeStore", "TestVectors"]
        ),
        // The PostgreSQL store against a real server that the tests start (initdb in a temporary folder, Debian's
        // postgresql package); skipped with the reason when the server binaries are missing.
        .testTarget(
            name: "BridgePostgresTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgePostgres", "BridgeStore", "TestVectors",
                           "ProcessTestSupport"]
        ),
        // The crash test's child: applies orders on a SQLite database until the test kills it with SIGKILL.
        .executableTarget(
            name: "walletbridge-crash-child",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeApprovals", "BridgeStore", "TestVectors"],
            path: "Tests/CrashChild"
        ),
        .testTarget(
            name: "WalletBridgeCLITests",
            dependencies: ["WalletBridgeCLI", "BridgeCore", "BridgeApprovals", "BridgeStore", "TestVectors", "BridgeServer"]
        ),
        // The vendors' own tools (trezorctl, HWI, ledgercomm: PyPI venvs from `make interop-tools`) against the
        // simulators on loopback; kept apart from the unit tests, skipped with the reason when the tools are missing.
        .testTarget(
            name: "InteropTests",
            dependencies: ["BridgeCore", "BridgeCrypto", "BridgeDevices", "BridgeSimulator", "WalletBridgeCLI"]
        ),
        // The real USB paths through a Linux kernel in a throwaway QEMU VM (Tests/VM); skipped with the reason when the
        // kernel (`make vm-kernel`) or QEMU is missing.
        .testTarget(name: "VMTests", dependencies: ["BridgeCore", "BridgeCrypto"]),
        // The operator console in a real headless Chromium driven over WebDriver (chromedriver), against `serve --demo`
        // and `bridge` processes; skipped with the reason when Debian's chromium or chromium-driver is missing.
        .testTarget(name: "BrowserTests", dependencies: ["BridgeCore", "BridgeCrypto", "BridgeServer", "ProcessTestSupport"]),
        // What suites that drive separate processes share: child processes, a loopback HTTP client, the CRM's signed
        // requests, free ports (a test-only helper module).
        .target(name: "ProcessTestSupport", dependencies: ["BridgeCore", "BridgeCrypto"], path: "Tests/ProcessTestSupport"),
        // Locates ../shared/vectors for the test targets (a test-only helper module).
        .target(name: "TestVectors", dependencies: ["BridgeCore"], path: "Tests/TestVectors"),
    ],
    swiftLanguageModes: [.v6]
)

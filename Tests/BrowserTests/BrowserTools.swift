import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the programs the suite drives are: Debian's `chromium` and `chromium-driver`, and the package's own
/// `walletbridge` binary.
enum BrowserTools {
    /// The repository: this file is `<repo>/Tests/BrowserTests/BrowserTools.swift`.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo>/.build/debug/walletbridge`, which `swift test` builds with the tests.
    static let walletbridge = repository.appendingPathComponent(".build/debug/walletbridge").path

    /// The Chromium executable. Debian's `/usr/bin/chromium` is a shell wrapper around `/usr/lib/chromium/chromium`;
    /// chromedriver is given the real binary so the browser it tracks is the process it started.
    static let chromium: String? = {
        let real = "/usr/lib/chromium/chromium"
        if FileManager.default.isExecutableFile(atPath: real) { return real }
        return onPath("chromium") ?? onPath("chromium-browser")
    }()

    static let chromedriver: String? = onPath("chromedriver")

    /// Why the suite cannot run here, or nil when it can. A missing browser skips the suite with this reason; a missing
    /// `walletbridge` binary is a failure instead (`swift test` builds it), reported by the harness.
    static let missingReason: String? = {
        var missing: [String] = []
        if chromium == nil { missing.append("chromium") }
        if chromedriver == nil { missing.append("chromedriver") }
        guard !missing.isEmpty else { return nil }
        return "\(missing.joined(separator: " and ")) not found: install the Debian packages chromium and chromium-driver (`make deps` does)"
    }()

    /// The first executable `name` on `PATH`.
    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A loopback port nothing listens on, for the programs that cannot take port 0 and say which port they got
    /// (`serve --listen` and chromedriver). The kernel picks it; the socket is closed at once, and the port is
    /// used within a moment, so another process taking it in between is unlikely.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw HarnessError("no free loopback port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}

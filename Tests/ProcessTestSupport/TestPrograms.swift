import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the programs that suites drive as separate processes are: the package's own `walletbridge` binary and the
/// Debian programs on `PATH`.
public enum TestPrograms {
    /// The repository: this file is `<repo>/Tests/ProcessTestSupport/TestPrograms.swift`.
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo>/.build/debug/walletbridge`, which `swift test` builds with the tests.
    public static let walletbridge = repository.appendingPathComponent(".build/debug/walletbridge").path

    /// The first executable `name` on `PATH`.
    public static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A loopback port nothing listens on, for the programs that cannot take port 0 and say which port they got
    /// (`serve --listen`, chromedriver, postgres). The kernel picks it; the socket is closed at once, and the port is
    /// used within a moment, so another process taking it in between is unlikely.
    public static func freePort() throws -> UInt16 {
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

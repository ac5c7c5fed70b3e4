import CCurl
import CHIDAPI
import CLazyLibrary
import CLibPQ
import CLibUSB
import CMicroHTTPD
import CSQLite
import Foundation
import ProcessTestSupport
import Testing

/// libcurl, libpq, libmicrohttpd, hidapi, libusb and SQLite are opened on first use (Sources/CLazyLibrary): the binary must not name them, the
/// loaders must find every function the stubs forward to, and a missing library or function must come back as words.
@Suite("libraries opened on first use")
struct LazyLibraryTests {
    @Test("the walletbridge binary does not load libcurl, libpq, libmicrohttpd, hidapi, libusb or SQLite at start-up")
    func binaryDoesNotNeedTheNetworkLibraries() throws {
        let needed = try Self.neededLibraries(of: TestPrograms.walletbridge)
        #expect(needed.contains("libsecp256k1.so.1"), "the listing is read: \(needed)")
        for library in ["libcurl.so.4", "libpq.so.5", "libmicrohttpd.so.12", "libhidapi-hidraw.so.0", "libusb-1.0.so.0",
                        "libsqlite3.so.0"] {
            #expect(!needed.contains(library), "\(library) is linked: \(needed)")
        }
    }

    @Test("each loader finds every function it forwards to in the installed library")
    func installedLibrariesOpen() {
        #expect(walletbridge_curl_open().map { String(cString: $0) } == nil)
        #expect(walletbridge_libpq_open().map { String(cString: $0) } == nil)
        #expect(walletbridge_mhd_open().map { String(cString: $0) } == nil)
        #expect(walletbridge_hidapi_open().map { String(cString: $0) } == nil)
        #expect(walletbridge_libusb_open().map { String(cString: $0) } == nil)
        #expect(walletbridge_sqlite_open().map { String(cString: $0) } == nil)
        #expect(String(cString: sqlite3_errstr(SQLITE_BUSY)) == "database is locked")
        // A call through a stub reaches the real library.
        #expect(String(cString: curl_easy_strerror(CURLE_OK)) == "No error")
        #expect(walletbridge_mhd_supports_tls() == 1, "Debian builds libmicrohttpd with GnuTLS")
    }

    @Test("a library that is not installed is an error naming its file, and stays one")
    func missingLibrary() {
        let answers = Self.open(soname: "libwalletbridge-absent.so.0", functions: ["zlibVersion"], times: 2)
        #expect(answers.error?.contains("libwalletbridge-absent.so.0") == true, "\(answers)")
        #expect(answers.sameEachTime)
    }

    @Test("a function the installed version lacks is an error naming the function")
    func missingFunction() {
        let answers = Self.open(soname: "libz.so.1", functions: ["zlibVersion", "walletbridge_absent_function"], times: 2)
        #expect(answers.error?.contains("walletbridge_absent_function") == true, "\(answers)")
        #expect(answers.sameEachTime)
    }

    @Test("an opened function is the library's own")
    func openedFunctionIsCallable() throws {
        var library = walletbridge_lazy_library()
        let names: [UnsafePointer<CChar>?] = [UnsafePointer(strdup("zlibVersion"))]
        defer { names.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var functions = [UnsafeMutableRawPointer?](repeating: nil, count: names.count)
        let version = try names.withUnsafeBufferPointer { namePointers in
            try functions.withUnsafeMutableBufferPointer { functionPointers in
                try "libz.so.1".withCString { soname in
                    library.soname = soname
                    library.names = namePointers.baseAddress
                    library.functions = functionPointers.baseAddress
                    library.count = namePointers.count
                    #expect(walletbridge_lazy_library_open(&library) == nil)
                    let address = try #require(walletbridge_lazy_library_function(&library, 0))
                    let zlibVersion = unsafeBitCast(address, to: (@convention(c) () -> UnsafePointer<CChar>).self)
                    return String(cString: zlibVersion())
                }
            }
        }
        #expect(version.hasPrefix("1."), "zlib \(version)")
    }

    // MARK: Helpers

    /// The answers of `times` opens of one library description: the error (nil when it opened) and whether it never
    /// changed. The struct starts zeroed, which on glibc is PTHREAD_MUTEX_INITIALIZER.
    private static func open(soname: String, functions names: [String], times: Int) -> (error: String?, sameEachTime: Bool) {
        var library = walletbridge_lazy_library()
        let copies: [UnsafePointer<CChar>?] = names.map { UnsafePointer(strdup($0)) }
        defer { copies.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var functions = [UnsafeMutableRawPointer?](repeating: nil, count: names.count)
        let answers: [String?] = copies.withUnsafeBufferPointer { namePointers in
            functions.withUnsafeMutableBufferPointer { functionPointers in
                soname.withCString { sonamePointer in
                    library.soname = sonamePointer
                    library.names = namePointers.baseAddress
                    library.functions = functionPointers.baseAddress
                    library.count = namePointers.count
                    return (0..<times).map { _ in walletbridge_lazy_library_open(&library).map { String(cString: $0) } }
                }
            }
        }
        return (answers.first ?? nil, Set(answers.map { $0 ?? "" }).count == 1)
    }

    /// The DT_NEEDED entries of an ELF file, as `readelf -d` lists them.
    private static func neededLibraries(of path: String) throws -> [String] {
        let readelf = try #require(TestPrograms.onPath("readelf"), "readelf (binutils) is not on PATH")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: readelf)
        process.arguments = ["-d", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]")
            else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }
}

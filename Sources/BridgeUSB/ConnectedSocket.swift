import BridgeDevices
import Glibc

/// A socket connected to the first address of `host` that accepts it, for the TCP (Speculos) and UDP (Trezor
/// emulator) links. Anything that fails is ``DeviceError/disconnected(_:)``: nothing answers there.
enum ConnectedSocket {
    enum Kind {
        case stream, datagram

        var name: String { self == .stream ? "tcp" : "udp" }
    }

    static func connect(_ kind: Kind, host: String, port: UInt16) throws(DeviceError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(kind == .stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw .disconnected("cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var lastError: Int32 = 0
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = errno
                Glibc.close(fd)
            } else {
                lastError = errno
            }
            candidate = info.pointee.ai_next
        }
        throw .disconnected("cannot connect to \(kind.name) \(host):\(port): \(String(cString: strerror(lastError)))")
    }
}

import Glibc

/// Whole reads and writes on a file descriptor, retried across signals: the standard streams and logs without
/// Foundation's `FileHandle`.
public enum FileDescriptorIO {
    /// `write(2)` until every byte is out, or the descriptor fails (a log or a closed terminal has nowhere to report
    /// its own failure, so it is dropped).
    public static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fileDescriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// `read(2)` until end of file (or a failure, which ends the input the same way).
    public static func readAll(from fileDescriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes += buffer[..<count]
        }
    }
}

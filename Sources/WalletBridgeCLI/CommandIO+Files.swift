import BridgeCore
import FoundationEssentials

/// Reading a command's input file, where `-` means standard input as Unix tools have it.
extension CommandIO {
    /// The bytes of the file at `path`, or of standard input for `-`.
    /// An unreadable file is bad input (code -10) whose message names the path and why.
    public func readFile(atPath path: String) throws(GenericBridgeError) -> [UInt8] {
        if path == "-" { return readInput() }
        let files = FileManager.default
        var isDirectory = false
        let problem: String
        if !files.fileExists(atPath: path, isDirectory: &isDirectory) {
            problem = "no such file"
        } else if isDirectory {
            problem = "it is a directory"
        } else if let data = files.contents(atPath: path) {
            return [UInt8](data)
        } else {
            problem = files.isReadableFile(atPath: path) ? "it could not be read" : "permission denied"
        }
        throw GenericBridgeError(
            .badArgument, "Cannot read '\(path)': \(problem)",
            hint: "Give the path of a readable file, or - to read standard input."
        )
    }

    /// The file at `path` (or standard input for `-`) as UTF-8 text.
    public func readTextFile(atPath path: String) throws(GenericBridgeError) -> String {
        let bytes = try readFile(atPath: path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let source = path == "-" ? "standard input" : "'\(path)'"
            throw GenericBridgeError(.badArgument, "\(source) is not UTF-8 text", hint: "Save the text as UTF-8 and try again.")
        }
        return text
    }
}

import BridgeCore
import FoundationEssentials

extension ServiceConfiguration {
    /// Reads and checks the configuration file at `path` (``init(json:environment:)``), then that the TLS files it
    /// names can be read, so a bad deployment fails at start with the field to fix rather than at the first request.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> ServiceConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(field: "", "cannot read the configuration file \(path)")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw ConfigurationError(field: "", "\(path): \(error.message)")
        }
        let configuration = try ServiceConfiguration(json: json, environment: environment)
        try configuration.checkFiles()
        return configuration
    }

    /// Refuses TLS files that cannot be read.
    public func checkFiles() throws(ConfigurationError) {
        guard let tls else { return }
        for (field, file) in [("tls.certificateFile", tls.certificateFile), ("tls.keyFile", tls.keyFile)]
        where !FileManager.default.isReadableFile(atPath: file) {
            throw ConfigurationError(field: field, "cannot read \(file)")
        }
    }
}

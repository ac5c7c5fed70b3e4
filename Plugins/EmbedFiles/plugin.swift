import Foundation
import PackagePlugin

/// Builds a target's `Files` folder into the binary: every file under it becomes a byte array in a generated Swift
/// file (`EmbeddedFiles.swift`, `embeddedFiles: [String: [UInt8]]` keyed by the path under `Files`), so the operator
/// console is served from memory, works offline and cannot drift from the binary that serves it.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Files")
        let files = try Self.files(under: folder)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files of \(target.name)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [folder.path(), output.path()] + files.map { $0.path() },
                inputFiles: files,
                outputFiles: [output]
            ),
        ]
    }

    /// Every regular file under `folder`, sorted, so the generated source is the same from one build to the next.
    static func files(under folder: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var files: [URL] = []
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            files.append(url)
        }
        return files.sorted { $0.path() < $1.path() }
    }
}

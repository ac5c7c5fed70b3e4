/// File paths as text, the few operations the project needs (what `NSString`'s path methods did), without
/// touching the file system.
public enum FilePathText {
    /// The directory part: `/a/b` gives `/a`, `/a` gives `/`, `b` gives `` (as `NSString.deletingLastPathComponent`).
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// `component` under `directory`, with exactly one `/` between them.
    public static func join(_ directory: String, _ component: String) -> String {
        if directory.isEmpty { return component }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let tail = component.hasPrefix("/") ? String(component.dropFirst()) : component
        return base + "/" + tail
    }

    /// The path with empty and `.` components removed and each `..` taking the component before it away (as
    /// `NSString.standardizingPath` does without resolving links); relative paths stay relative.
    public static func standardized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty, components.last != ".." { components.removeLast() } else if !path.hasPrefix("/") { components.append(component) }
            default: components.append(component)
            }
        }
        let joined = components.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}

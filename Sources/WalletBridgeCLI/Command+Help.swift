/// `--help`: every command documents itself from its declaration, so help can never drift from what parses.
extension Command {
    /// Help lines are wrapped to this width, the usual terminal.
    static let helpWidth = 100
    /// Where help texts start in the option and command lists.
    static let helpColumn = 28

    /// The plain-text help of the last command of `path` (root first; the path spells the usage line).
    static func helpText(for path: [Command]) -> String {
        guard let command = path.last else { return "" }
        let commandLine = commandLine(path)
        var sections = [wrap("\(commandLine): \(command.abstract)", indent: 0), "USAGE: " + command.usage(commandLine)]
        if !command.discussion.isEmpty { sections.append(wrap(command.discussion, indent: 0)) }
        if !command.arguments.isEmpty {
            sections.append(list("ARGUMENTS", command.arguments.map { ($0.name, $0.help) }))
        }
        var ownOptions = command.options.map { ($0.synopsis, $0.helpWithDetails) }
        if command.version != nil { ownOptions.append(("--version", "Print the name and version as JSON.")) }
        ownOptions.append(("-h, --help", "Show this help."))
        sections.append(list("OPTIONS", ownOptions))
        for group in command.optionGroups {
            sections.append(list(group.title.uppercased(), group.options.map { ($0.synopsis, $0.helpWithDetails) }))
        }
        if !command.subcommands.isEmpty {
            sections.append(list("COMMANDS", command.subcommands.map { ($0.name, $0.abstract) }))
            sections.append("Run `\(commandLine) COMMAND --help` for a command's own help.")
        }
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// `walletbridge typed-data-hash --file FILE [options]`: required options spelled out, the others summed up.
    func usage(_ commandLine: String) -> String {
        var words = [commandLine]
        if !subcommands.isEmpty { words.append("COMMAND") }
        words += allOptions.filter(\.isRequired).map(\.synopsis)
        if allOptions.contains(where: { !$0.isRequired }) { words.append("[options]") }
        words += arguments.map { $0.isRequired ? $0.name : "[\($0.name)]" }
        let usage = words.joined(separator: " ")
        return version == nil ? usage : usage + "\n       \(commandLine) --version"
    }

    /// A titled two-column list: names on the left, their help wrapped on the right.
    private static func list(_ title: String, _ rows: [(name: String, help: String)]) -> String {
        let lines = rows.map { row in
            let name = "  " + row.name
            let help = String(wrap(row.help, indent: helpColumn).dropFirst(helpColumn))
            // A long name gets its help on the next line rather than a ragged column.
            guard name.count < helpColumn - 1 else {
                return name + "\n" + String(repeating: " ", count: helpColumn) + help
            }
            return name + String(repeating: " ", count: helpColumn - name.count) + help
        }
        return "\(title):\n" + lines.joined(separator: "\n")
    }

    /// `text` wrapped at word boundaries to ``helpWidth``, every line indented by `indent` spaces.
    /// Lines that already start with spaces (examples) are kept as written.
    static func wrap(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        var output: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if paragraph.first == " " || paragraph.isEmpty {
                output.append(paragraph.isEmpty ? "" : margin + paragraph)
                continue
            }
            var line = margin
            for word in paragraph.split(separator: " ") {
                if line.count > indent, line.count + 1 + word.count > helpWidth {
                    output.append(line)
                    line = margin
                }
                line += (line.count > indent ? " " : "") + word
            }
            output.append(line)
        }
        return output.joined(separator: "\n")
    }
}

extension CommandOption {
    /// The help text followed by what help readers need to know: required, default, repeatable.
    var helpWithDetails: String {
        var details: [String] = []
        if isRequired { details.append("required") }
        if let defaultValue { details.append("default: \(defaultValue)") }
        if isRepeatable { details.append("repeatable") }
        return details.isEmpty ? help : "\(help) (\(details.joined(separator: "; ")))"
    }
}

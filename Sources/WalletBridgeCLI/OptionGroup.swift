/// Options that belong together and that several commands share, shown under their own heading in help.
public struct OptionGroup: Sendable {
    /// The help heading, e.g. `Device selection`.
    public let title: String
    public let options: [CommandOption]

    public init(title: String, options: [CommandOption]) {
        self.title = title
        self.options = options
    }
}

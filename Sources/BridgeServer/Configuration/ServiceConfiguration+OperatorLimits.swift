extension ServiceConfiguration {
    /// `operator`: limits on the operator API's unauthenticated routes, `{"challengesPerMinutePerIP": 60}`.
    mutating func readOperatorLimits(_ root: ConfigurationObjectReader) throws(ConfigurationError) {
        guard let limits = try root.object("operator", allowedKeys: ["challengesPerMinutePerIP"]) else { return }
        if let perMinute = try limits.integer("challengesPerMinutePerIP", in: 1...100_000) {
            challengesPerMinutePerIP = Int(perMinute)
        }
    }
}

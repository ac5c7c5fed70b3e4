/// One thing the fuzzer feeds bytes to. Each target checks its own properties and traps (the fuzzer's "crash")
/// only when one breaks: bad input must always come back as a refusal, never stop the process.
protocol FuzzTarget: Sendable {
    /// The name `make fuzz` and `WALLETBRIDGE_FUZZ_TARGET` use.
    static var name: String { get }
    init()
    /// Runs one input.
    func run(_ input: [UInt8])
}

/// The targets, by name.
enum FuzzTargets {
    static let all: [any FuzzTarget.Type] = [JSONFuzzTarget.self, CRMRequestFuzzTarget.self, MinorUnitsFuzzTarget.self]

    static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}

/// A property that must hold for every input: a violation is a bug the fuzzer must report, so it stops the run
/// (libFuzzer then saves the input as `crash-...`).
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("property violated: \(message())") }
}

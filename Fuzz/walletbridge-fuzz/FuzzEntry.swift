import Foundation

#if FUZZING
import CFuzzerDriver

/// The target `WALLETBRIDGE_FUZZ_TARGET` names, chosen once.
private let selectedTarget: any FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["WALLETBRIDGE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        fatalError("set WALLETBRIDGE_FUZZ_TARGET to one of: " + FuzzTargets.all.map { $0.name }.joined(separator: ", "))
    }
    return target.init()
}()

/// `make fuzz` builds with `-sanitize=fuzzer -DFUZZING`: libFuzzer's driver runs with the command line (its flags such
/// as `-runs=N` and corpus folders) and calls the chosen target for every input it generates.
@main
struct LibFuzzerMain {
    static func main() {
        _ = selectedTarget
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            selectedTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
#else
/// Without libFuzzer (a plain `swift build`), the same targets run on seeded random inputs mutated from the seed
/// corpus: `walletbridge-fuzz TARGET [RUNS] [SEED] [SEED_DIR]`. Coverage-guided fuzzing is `make fuzz`.
@main
struct RandomInputRunner {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let targetType = FuzzTargets.named(name) else {
            FileHandle.standardError.write(Data("usage: walletbridge-fuzz TARGET [RUNS] [SEED] [SEED_DIR]\ntargets: \(FuzzTargets.all.map { $0.name }.joined(separator: ", "))\n".utf8))
            exit(2)
        }
        let runs = arguments.dropFirst().first.flatMap(Int.init) ?? 100_000
        var generator = SplitMix64(seed: arguments.dropFirst(2).first.flatMap(UInt64.init) ?? 1)
        let seeds = arguments.dropFirst(3).first.map(RandomInputRunner.seeds(in:)) ?? []
        let target = targetType.init()
        for _ in 0..<runs {
            target.run(RandomInputRunner.input(&generator, seeds: seeds))
        }
        print("\(name): \(runs) random inputs, no property violated")
    }

    static func seeds(in directory: String) -> [[UInt8]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { FileManager.default.contents(atPath: directory + "/" + $0).map { [UInt8]($0) } }
    }

    /// A seed with a few random byte edits, or random bytes.
    static func input(_ generator: inout SplitMix64, seeds: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8]
        if !seeds.isEmpty, generator.next() % 4 != 0 {
            bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + generator.next() % 4) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                let byte = UInt8(truncatingIfNeeded: generator.next())
                switch generator.next() % 3 {
                case 0 where position < bytes.count: bytes[position] = byte
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(byte, at: position)
                }
            }
        } else {
            bytes = (0..<(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        return bytes
    }
}

/// A small, fast, seedable generator, so a failing run can be repeated.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
#endif

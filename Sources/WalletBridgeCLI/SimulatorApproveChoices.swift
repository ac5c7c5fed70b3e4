/// `--approve`'s values for both simulated devices: whether the simulated user approves, and whether prompts wait
/// for someone else instead (the Trezor's debug link, the Ledger's buttons through Speculos's REST API). Only the
/// `simulate` commands (no option prefix) serve something to wait for; the in-process `--sim-approve` offers auto|deny.
enum SimulatorApproveChoices {
    typealias Decision = (approves: Bool, waits: Bool)

    static func choices(prefix: String, waiting: String) -> [(name: String, decision: Decision)] {
        [("auto", (true, false)), ("deny", (false, false))] + (prefix.isEmpty ? [(waiting, (true, true))] : [])
    }
}

import Testing

/// Every interop test, one at a time: the vendors' tools probe the emulators' fixed addresses (HWI's `--emulators`
/// scans udp 21324 and tcp 9999), so two of them at once would answer each other's probes.
@Suite("The vendors' tools against the simulators", .serialized)
enum InteropSuite {}

import BridgeCore
import FoundationEssentials

/// `enumerate --watch` (CONTRACT 7): hot-plug events from successive listings, without I/O. Each listing is what
/// `enumerate` prints; the first makes every device `added`, later ones `added`, `changed` (state, app or model
/// differ: an app switch, a lock) and `removed`.
///
/// A device missing from one listing is reported removed only if the next one misses it too: a Ledger restarting
/// for an app switch leaves the bus for a moment and comes back under the same node, which is a change, not an
/// unplug.
struct DeviceWatch: Sendable {
    /// Devices by id as last reported.
    private(set) var known: [String: JSONValue] = [:]
    /// Ids missing from the last listing, not yet reported removed.
    private var missing: Set<String> = []

    /// The events since the previous listing: removed first, then changed, then added, each in the listing's order.
    mutating func update(with listing: [JSONValue]) -> [JSONValue] {
        var current: [(id: String, entry: JSONValue)] = []
        for entry in listing {
            guard let id = entry["id"]?.stringValue, !current.contains(where: { $0.id == id }) else { continue }
            current.append((id, entry))
        }
        let present = Set(current.map(\.id))
        var removed: [JSONValue] = [], changed: [JSONValue] = [], added: [JSONValue] = []
        for id in known.keys.sorted() where !present.contains(id) {
            if missing.contains(id), let last = known[id] {
                removed.append(Self.event("removed", last))
                known[id] = nil
                missing.remove(id)
            } else {
                missing.insert(id)
            }
        }
        for (id, entry) in current {
            missing.remove(id)
            if let previous = known[id] {
                if previous != entry { changed.append(Self.event("changed", entry)) }
            } else {
                added.append(Self.event("added", entry))
            }
            known[id] = entry
        }
        return removed + changed + added
    }

    static func event(_ name: String, _ device: JSONValue) -> JSONValue {
        .object(JSONObject([("event", .string(name)), ("device", device)]))
    }
}

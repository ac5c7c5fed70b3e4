import BridgeCore
import Testing
@testable import WalletBridgeCLI

@Suite("enumerate --watch: events from successive listings")
struct DeviceWatchTests {
    static func entry(_ id: String, state: String, app: String? = nil) -> JSONValue {
        var object: JSONObject = ["id": .string(id), "type": "ledger", "state": .string(state)]
        if let app { object["app"] = ["name": .string(app), "version": "1.22.0"] }
        return .object(object)
    }

    func names(_ events: [JSONValue]) -> [String] {
        events.map { "\($0["event"]?.stringValue ?? "?") \($0["device"]?["id"]?.stringValue ?? "?")" }
    }

    @Test("the first listing adds every device; a change of state or app is changed; nothing new is silent")
    func addedAndChanged() {
        var watch = DeviceWatch()
        #expect(names(watch.update(with: [Self.entry("hid:a", state: "app-closed"), Self.entry("webusb:b", state: "locked")]))
                == ["added hid:a", "added webusb:b"])
        #expect(watch.update(with: [Self.entry("hid:a", state: "app-closed"), Self.entry("webusb:b", state: "locked")]).isEmpty)
        let switched = watch.update(with: [Self.entry("hid:a", state: "ready", app: "Ethereum"), Self.entry("webusb:b", state: "locked")])
        #expect(names(switched) == ["changed hid:a"])
        #expect(switched.first?["device"]?["app"]?["name"]?.stringValue == "Ethereum")
    }

    @Test("a device missing from one listing only (an app switch's restart) is not removed; missing from two, it is")
    func removedAfterTwoListings() {
        var watch = DeviceWatch()
        _ = watch.update(with: [Self.entry("hid:a", state: "app-closed")])
        #expect(watch.update(with: []).isEmpty, "one miss: maybe restarting")
        #expect(names(watch.update(with: [Self.entry("hid:a", state: "ready", app: "Ethereum")])) == ["changed hid:a"])
        #expect(watch.update(with: []).isEmpty)
        let gone = watch.update(with: [Self.entry("hid:c", state: "ready", app: "Bitcoin")])
        #expect(names(gone) == ["removed hid:a", "added hid:c"], "removed first, then added")
        #expect(gone.first?["device"]?["state"]?.stringValue == "ready", "the removed event carries the last entry")
    }
}

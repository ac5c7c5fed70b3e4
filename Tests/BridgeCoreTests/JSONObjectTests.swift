import BridgeCore
import Testing

/// `JSONObject` keeps document order, finds keys by scanning small objects and through an index in large ones.
@Suite("JSONObject")
struct JSONObjectTests {
    @Test(arguments: [3, JSONObjectLimits.indexedSize])
    func membersKeepTheirOrderAndCanBeReplacedAndRemoved(size: Int) {
        var object = JSONObject()
        for index in 0..<size { object["k\(index)"] = .number(JSONNumber(index)) }
        #expect(object.keys == (0..<size).map { "k\($0)" })
        #expect(object["k\(size - 1)"] == .number(JSONNumber(size - 1)))
        #expect(object["missing"] == nil)

        object["k0"] = "replaced"
        #expect(object.keys.first == "k0")
        #expect(object["k0"] == "replaced")

        object["k1"] = nil
        #expect(object.count == size - 1)
        #expect(object["k1"] == nil)
        #expect(object["k2"] == .number(JSONNumber(2)))
        #expect(!object.keys.contains("k1"))
        object["k1"] = true
        #expect(object.keys.last == "k1")
    }

    @Test func equalityIgnoresOrder() {
        let forward: JSONObject = ["a": 1, "b": 2]
        let backward: JSONObject = ["b": 2, "a": 1]
        #expect(forward == backward)
        #expect(forward != ["a": 1, "b": 3])
        #expect(forward != ["a": 1])
    }

    @Test func aRepeatedKeyKeepsItsFirstPlaceAndLastValue() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 3)
        #expect(JSONValue.object(object).serialized() == #"{"a":3,"b":2}"#)
    }

    @Test func stringsNeedingNoEscapeAndStringsThatDo() {
        #expect(JSONValue.string("plain text é").serialized() == "\"plain text é\"")
        #expect(JSONValue.string("quote \" slash \\ newline \n tab \t bell \u{07}").serialized()
            == #""quote \" slash \\ newline \n tab \t bell \u0007""#)
    }
}

/// Sizes either side of the point where `JSONObject` starts indexing its keys.
enum JSONObjectLimits {
    static let indexedSize = 40
}

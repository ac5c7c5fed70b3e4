import BridgeCore
import Testing

@Suite("Bytes written as text")
struct ArrayUTF8Tests {
    @Test("appendDecimal writes what String(_:) writes, the extremes included")
    func decimalMatchesString() {
        var samples: [Int] = [0, 1, -1, 9, 10, -10, 99, 100, 1_234_567, Int.max, Int.min, Int.max - 1, Int.min + 1]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 { samples.append(Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0...63)) }
        for value in samples {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            bytes.appendDecimal(value)
            #expect(String(decoding: bytes, as: UTF8.self) == "x" + String(value))
        }
    }

    @Test func appendUTF8CopiesNativeAndBridgedText() {
        var bytes: [UInt8] = []
        bytes.appendUTF8("añb")
        bytes.appendUTF8(String(repeating: "z", count: 40))
        #expect(bytes == Array("añb".utf8) + Array(repeating: UInt8(ascii: "z"), count: 40))
    }
}

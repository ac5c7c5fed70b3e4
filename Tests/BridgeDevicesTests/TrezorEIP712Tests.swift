import BridgeCore
import BridgeCrypto
import BridgeDevices
import Testing

/// The full EIP-712 flow's struct and value answers, against trezorlib's `get_field_type` and `encode_data`
/// (trezor/trezor-firmware python/src/trezorlib/ethereum.py).
@Suite("Trezor EIP-712 encoding")
struct TrezorEIP712Tests {
    static let document = """
        {"types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
          "Item": [{"name": "id", "type": "uint16"}, {"name": "delta", "type": "int8"}, {"name": "tag", "type": "bytes4"},
                   {"name": "blob", "type": "bytes"}, {"name": "ok", "type": "bool"}],
          "Order": [{"name": "items", "type": "Item[]"}, {"name": "pair", "type": "address[2]"}, {"name": "note", "type": "string"}]},
         "primaryType": "Order",
         "domain": {"name": "Shop", "chainId": "0x89"},
         "message": {"items": [{"id": 4660, "delta": -1, "tag": "0xdeadbeef", "blob": "0x", "ok": true},
                               {"id": "65535", "delta": 127, "tag": "0x00000001", "blob": "0x0102", "ok": false}],
                     "pair": ["0x1e0Ae8205e9726E6F296ab8869160A6423E2337E", "0x54B0Fa66A065748C40dCA2C7Fe125A2028CF9982"],
                     "note": "né"}}
        """

    func flow() throws -> TrezorEIP712 { try TrezorEIP712(typedData: try TypedData(jsonText: Self.document)) }

    func value(_ path: [UInt32]) throws -> String {
        Hex.encode(try flow().valueAck(for: TrezorProto.EthereumTypedDataValueRequest(memberPath: path)).value)
    }

    @Test func fieldTypes() throws {
        let flow = try flow()
        let order = try flow.structAck(for: .init(name: "Order"))
        #expect(order.members == [
            .init(type: .init(dataType: .array, entryType: .init(dataType: .struct, size: 5, structName: "Item")), name: "items"),
            .init(type: .init(dataType: .array, size: 2, entryType: .init(dataType: .address)), name: "pair"),
            .init(type: .init(dataType: .string), name: "note"),
        ])
        let item = try flow.structAck(for: .init(name: "Item"))
        #expect(item.members.map(\.type) == [
            .init(dataType: .uint, size: 2), .init(dataType: .int, size: 1), .init(dataType: .bytes, size: 4), .init(dataType: .bytes),
            .init(dataType: .bool),
        ])
        #expect(throws: DeviceError.self) { try flow.structAck(for: .init(name: "Nope")) }
    }

    @Test func values() throws {
        #expect(try value([0, 0]) == "53686f70")                                   // "Shop"
        #expect(try value([0, 1]) == String(repeating: "0", count: 62) + "89")     // uint256 from hex text, 32 bytes
        #expect(try value([1, 0]) == "0002")                                       // array length as uint16
        #expect(try value([1, 0, 0, 0]) == "1234")                                 // uint16: 2 bytes
        #expect(try value([1, 0, 0, 1]) == "ff")                                   // int8 -1: two's complement
        #expect(try value([1, 0, 0, 2]) == "deadbeef")                             // bytes4: raw
        #expect(try value([1, 0, 0, 3]) == "")                                     // empty dynamic bytes
        #expect(try value([1, 0, 0, 4]) == "01")                                   // bool: one byte
        #expect(try value([1, 0, 1, 0]) == "ffff")                                 // uint16 from decimal text
        #expect(try value([1, 0, 1, 1]) == "7f")
        #expect(try value([1, 0, 1, 3]) == "0102")
        #expect(try value([1, 0, 1, 4]) == "00")
        #expect(try value([1, 1]) == "0002")                                       // fixed array: its length too
        #expect(try value([1, 1, 1]) == "54b0fa66a065748c40dca2c7fe125a2028cf9982") // address: 20 bytes
        #expect(try value([1, 2]) == "6ec3a9")                                     // string: UTF-8
    }

    @Test func badMemberPathsAreProtocolErrors() throws {
        for path: [UInt32] in [[], [2], [1, 7], [1, 0, 9], [1, 2, 0]] {
            do {
                _ = try value(path)
                Issue.record("member path \(path) was answered")
            } catch let error as DeviceError {
                #expect(error.code == .protocolError, "\(path)")
            }
        }
    }

    @Test func nestedArraysAreNotSupportedBeforeAnythingIsSent() throws {
        let nested = """
            {"types": {"EIP712Domain": [], "Grid": [{"name": "cells", "type": "uint8[][]"}]},
             "primaryType": "Grid", "domain": {}, "message": {"cells": [[1]]}}
            """
        #expect(throws: DeviceError.self) { try TrezorEIP712(typedData: try TypedData(jsonText: nested)) }
        do {
            _ = try TrezorEIP712(typedData: try TypedData(jsonText: nested))
        } catch let error as DeviceError {
            #expect(error.code == .notSupported)
        }
    }
}

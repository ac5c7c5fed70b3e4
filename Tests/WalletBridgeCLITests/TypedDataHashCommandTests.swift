import BridgeCore
import Testing
import TestVectors
@testable import WalletBridgeCLI

@Suite("walletbridge typed-data-hash")
struct TypedDataHashCommandTests {
    /// Runs `typed-data-hash` on a temporary file holding `text`.
    func hash(_ text: String) async throws -> CLIRun {
        let file = try TemporaryFile(text)
        defer { file.remove() }
        return await runCLI(["typed-data-hash", "--file", file.path])
    }

    /// The mail example's typed data with `edit` applied to it, as JSON text.
    func mailExample(_ edit: (inout JSONObject) -> Void = { _ in }) throws -> String {
        let cases = try TestVectors.json("crypto/eip712.json").array("cases")
        let mail = try #require(cases.first { $0["name"] == "mail" })
        var typedData = try #require(mail["typed_data"]?.objectValue)
        edit(&typedData)
        return JSONValue.object(typedData).serialized()
    }

    @Test("--help mentions every option, exit 0")
    func help() async {
        let run = await runCLI(["typed-data-hash", "--help"])
        #expect(run.exitCode == 0)
        #expect(run.stdout.contains("USAGE: walletbridge typed-data-hash --file FILE"))
        for option in Command.typedDataHash.allOptions {
            #expect(run.stdout.contains(option.synopsis), "help should mention \(option.synopsis)")
        }
        #expect(run.stdout.contains("-h, --help"))
    }

    @Test("Every case of crypto/eip712.json hashes exactly as the vector says")
    func vectors() async throws {
        let cases = try TestVectors.json("crypto/eip712.json").array("cases")
        #expect(cases.count >= 4)
        for vector in cases {
            let name = try vector.string("name")
            let typedData = try #require(vector["typed_data"])
            let run = try await hash(typedData.serialized())
            #expect(run.exitCode == 0, "\(name): \(run.stdout)")
            let expected: JSONValue = [
                "domainHash": .string(try vector.string("domainHash")),
                "messageHash": .string(try vector.string("messageHash")),
                "digest": .string(try vector.string("digest")),
            ]
            #expect(run.stdout == expected.serialized() + "\n", "case \(name)")
        }
    }

    @Test("--file - reads standard input")
    func standardInput() async throws {
        let fromFile = try await hash(try mailExample())
        let fromStdin = await runCLI(["typed-data-hash", "--file", "-"], stdin: Array(try mailExample().utf8))
        #expect(fromStdin.exitCode == 0)
        #expect(fromStdin.stdout == fromFile.stdout)
        #expect(try fromStdin.json()["digest"]?.stringValue?.count == 66)
    }

    @Test("primaryType EIP712Domain: messageHash is null and the domain hash is unchanged")
    func domainOnly() async throws {
        let mail = try await hash(try mailExample()).json()
        let run = try await hash(try mailExample {
            $0["primaryType"] = "EIP712Domain"
            $0["message"] = [:]
        })
        #expect(run.exitCode == 0, "\(run.stdout)")
        let json = try run.json()
        #expect(json["messageHash"] == .null)
        #expect(json["domainHash"] == mail["domainHash"])
        #expect(json["digest"] != mail["digest"])
    }

    @Test("An unreadable file is code -10 naming the path, exit 1")
    func unreadableFile() async throws {
        let path = "/nonexistent/walletbridge-typed-data.json"
        let run = await runCLI(["typed-data-hash", "--file", path])
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage == "Cannot read '\(path)': no such file")
        let directory = await runCLI(["typed-data-hash", "--file", "/"])
        #expect(directory.errorMessage == "Cannot read '/': it is a directory")
    }

    @Test("Bad JSON is code -10 saying where, exit 1")
    func badJSON() async throws {
        let run = try await hash(#"{"types": {"EIP712Domain": []}, "#)
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage.contains("JSON"), "\(run.errorMessage)")
        #expect(run.errorMessage.contains("line 1"), "\(run.errorMessage)")
    }

    @Test("An unknown type is code -10 naming it, exit 1")
    func unknownType() async throws {
        let run = try await hash(try mailExample {
            $0["types"] = .object(JSONObject([
                ("EIP712Domain", $0["types"]?["EIP712Domain"] ?? .null),
                ("Person", [["name": "name", "type": "string"], ["name": "wallet", "type": "Wallet"]]),
                ("Mail", $0["types"]?["Mail"] ?? .null),
            ]))
        })
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage.contains("Wallet"), "\(run.errorMessage)")
    }

    @Test("An out-of-range integer is code -10 naming the value, exit 1")
    func integerOutOfRange() async throws {
        let run = try await hash(try mailExample {
            $0["types"] = .object(JSONObject([
                ("EIP712Domain", [["name": "name", "type": "string"], ["name": "chainId", "type": "uint8"]]),
                ("Mail", $0["types"]?["Mail"] ?? .null),
                ("Person", $0["types"]?["Person"] ?? .null),
            ]))
            $0["domain"] = ["name": "Ether Mail", "chainId": 256]
        })
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage.contains("256"), "\(run.errorMessage)")
        #expect(run.errorMessage.contains("uint8"), "\(run.errorMessage)")
    }

    @Test("A malformed address is code -10 naming the field, exit 1")
    func malformedAddress() async throws {
        let run = try await hash(try mailExample {
            $0["domain"] = [
                "name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCC",
            ]
        })
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage.contains("verifyingContract"), "\(run.errorMessage)")
        #expect(run.errorMessage.contains("address"), "\(run.errorMessage)")
    }

    @Test("Input that is not UTF-8 is code -10, exit 1")
    func notUTF8() async throws {
        let run = await runCLI(["typed-data-hash", "--file", "-"], stdin: [0x7B, 0xFF, 0x7D])
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage == "standard input is not UTF-8 text")
    }
}

import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeDevices

/// An operator at their desk: the device that holds their key, the service it talks to and the cached session.
/// Signs what the service sends (enrolment, login, decisions) on the device and keeps the session going.
struct OperatorDesk: Sendable {
    let client: OperatorAPIClient
    let tokens: SessionTokenCache
    let wallet: any HardwareWallet
    let options: OperationOptions
    let path: DerivationPath
    let mode: TypedDataSigningMode
    let io: CommandIO

    /// How the user knows the device: "Ledger nanox (hid:...)" or "Ledger simulated (sim:ledger)".
    var deviceName: String {
        let family = wallet.descriptor.family == .ledger ? "Ledger" : "Trezor"
        return "\(family) \(wallet.descriptor.model) (\(wallet.descriptor.id))"
    }

    /// The operator's address: the device's Ethereum address at ``path``, read without a prompt.
    func address() async throws -> EthereumAddress {
        let result = try await wallet.address(AddressRequest(path: path, coin: .eth), options)
        return try EthereumAddress(parsing: result.address)
    }

    /// Has the device sign `document` (eth_signTypedData_v4 JSON as the service sent it) and returns the signature as
    /// `0x` r s v. The device shows the fields (mode full) or the hashes (`--mode hashed`); the user confirms there.
    func sign(_ document: JSONValue, as signer: EthereumAddress) async throws -> String {
        let typedData: TypedData
        do {
            typedData = try TypedData(json: document)
        } catch {
            throw GenericBridgeError(.protocolError, "The service sent an EIP-712 document that does not parse: \(error.message)",
                                     hint: "Check that --server points at a WalletBridge service of the same version as this CLI.")
        }
        io.progress("Confirm on your \(deviceName)...")
        let result = try await wallet.signTypedData(path: path, typedData: typedData, mode: mode, options)
        guard result.address == signer else {
            throw GenericBridgeError(.internalError, "The device signed with \(result.address.checksummed), expected \(signer.checksummed)",
                                     hint: "Check --path and --device: they must select the key you enrolled.")
        }
        return result.signature.hex
    }

    /// Signs in: the device signs the service's single-use `Login` challenge; the token is cached for next time.
    func signIn(as address: EthereumAddress) async throws -> String {
        let challenge = try await client.challenge(address: address.checksummed)
        guard challenge.typedData["primaryType"]?.stringValue == "Login",
              challenge.typedData["message"]?["operator"]?.stringValue?.lowercased() == address.checksummed.lowercased()
        else {
            throw GenericBridgeError(.protocolError, "The service's login challenge is not a Login for \(address.checksummed)",
                                     hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
        }
        io.progress("Signing in to \(client.serverIdentity) as \(address.checksummed).")
        let signature = try await sign(challenge.typedData, as: address)
        let session = try await client.session(nonce: challenge.nonce, signature: signature)
        let expiresAt = session.expiresAt.flatMap { Timestamp(rfc3339: $0) }
        try tokens.store(SessionTokenCache.Entry(token: session.token, expiresAt: expiresAt),
                         server: client.serverIdentity, address: address.checksummed)
        return session.token
    }

    /// Runs `body` with a session token: the cached one while it lasts, else a fresh sign-in. When the service
    /// refuses a cached token (401: expired, idle or revoked), the token is forgotten and the operator signs in again
    /// once; a second refusal is reported.
    func withSession<Output>(_ body: (String) async throws -> Output) async throws -> Output {
        let address = try await address()
        let server = client.serverIdentity
        if let cached = tokens.token(server: server, address: address.checksummed) {
            do {
                return try await body(cached.token)
            } catch let error as OperatorAPIError where error.isUnauthorized {
                tokens.remove(server: server, address: address.checksummed)
                io.progress("The saved session was refused (\(error.message)); signing in again.")
            }
        }
        return try await body(try await signIn(as: address))
    }
}

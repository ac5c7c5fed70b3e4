// Messages of trezor/trezor-firmware common/protob/messages-ethereum.proto (../shared/reference/trezor.md section 3).
// Each declares its fields once; ``TrezorDescribedMessage`` is the codec.

extension TrezorProto {
    /// EthereumGetPublicKey (450).
    public struct EthereumGetPublicKey: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumGetPublicKey
        public static let protoName = "EthereumGetPublicKey"
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: optional bool.
        public var showDisplay: Bool?

        public init(addressN: [UInt32] = [], showDisplay: Bool? = nil) {
            self.addressN = addressN
            self.showDisplay = showDisplay
        }

        public static let empty = EthereumGetPublicKey()
        public static let fields: [ProtobufFieldSpec<EthereumGetPublicKey>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .bool(2, "show_display", \.showDisplay),
        ]
    }

    /// EthereumPublicKey (451): the node, with an xpub in Bitcoin's format.
    public struct EthereumPublicKey: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumPublicKey
        public static let protoName = "EthereumPublicKey"
        /// 1: required HDNodeType.
        public var node: HDNodeType
        /// 2: required string.
        public var xpub: String

        public init(node: HDNodeType, xpub: String) {
            self.node = node
            self.xpub = xpub
        }

        public static let empty = EthereumPublicKey(node: .empty, xpub: "")
        public static let fields: [ProtobufFieldSpec<EthereumPublicKey>] = [
            .message(1, "node", required: \.node),
            .string(2, "xpub", required: \.xpub),
        ]
    }

    /// EthereumGetAddress (56).
    public struct EthereumGetAddress: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumGetAddress
        public static let protoName = "EthereumGetAddress"
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: optional bool.
        public var showDisplay: Bool?
        /// 3: optional bytes: a signed network definition.
        public var encodedNetwork: [UInt8]?
        /// 4: optional bool.
        public var chunkify: Bool?

        public init(addressN: [UInt32] = [], showDisplay: Bool? = nil, encodedNetwork: [UInt8]? = nil, chunkify: Bool? = nil) {
            self.addressN = addressN
            self.showDisplay = showDisplay
            self.encodedNetwork = encodedNetwork
            self.chunkify = chunkify
        }

        public static let empty = EthereumGetAddress()
        public static let fields: [ProtobufFieldSpec<EthereumGetAddress>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .bool(2, "show_display", \.showDisplay),
            .bytes(3, "encoded_network", \.encodedNetwork),
            .bool(4, "chunkify", \.chunkify),
        ]
    }

    /// EthereumAddress (57).
    public struct EthereumAddress: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumAddress
        public static let protoName = "EthereumAddress"
        /// 1: optional bytes `_old_address` (20 raw bytes, firmware < 1.8.0 / < 2.1.0).
        public var oldAddress: [UInt8]?
        /// 2: optional string: 0x-hex, EIP-55 checksummed.
        public var address: String?
        /// 3: optional bytes.
        public var mac: [UInt8]?

        public init(oldAddress: [UInt8]? = nil, address: String? = nil, mac: [UInt8]? = nil) {
            self.oldAddress = oldAddress
            self.address = address
            self.mac = mac
        }

        public static let empty = EthereumAddress()
        public static let fields: [ProtobufFieldSpec<EthereumAddress>] = [
            .bytes(1, "_old_address", \.oldAddress),
            .string(2, "address", \.address),
            .bytes(3, "mac", \.mac),
        ]
    }

    /// EthereumSignMessage (64): EIP-191 personal_sign.
    public struct EthereumSignMessage: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumSignMessage
        public static let protoName = "EthereumSignMessage"
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: required bytes.
        public var message: [UInt8]
        /// 3: optional bytes.
        public var encodedNetwork: [UInt8]?
        /// 4: optional bool.
        public var chunkify: Bool?

        public init(addressN: [UInt32] = [], message: [UInt8], encodedNetwork: [UInt8]? = nil, chunkify: Bool? = nil) {
            self.addressN = addressN
            self.message = message
            self.encodedNetwork = encodedNetwork
            self.chunkify = chunkify
        }

        public static let empty = EthereumSignMessage(message: [])
        public static let fields: [ProtobufFieldSpec<EthereumSignMessage>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .bytes(2, "message", required: \.message),
            .bytes(3, "encoded_network", \.encodedNetwork),
            .bool(4, "chunkify", \.chunkify),
        ]
    }

    /// EthereumMessageSignature (66).
    public struct EthereumMessageSignature: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumMessageSignature
        public static let protoName = "EthereumMessageSignature"
        /// 2: required bytes: r || s || v (v = 27/28).
        public var signature: [UInt8]
        /// 3: required string.
        public var address: String

        public init(signature: [UInt8], address: String) {
            self.signature = signature
            self.address = address
        }

        public static let empty = EthereumMessageSignature(signature: [], address: "")
        public static let fields: [ProtobufFieldSpec<EthereumMessageSignature>] = [
            .bytes(2, "signature", required: \.signature),
            .string(3, "address", required: \.address),
        ]
    }

    /// EthereumVerifyMessage (65): Success or Failure.
    public struct EthereumVerifyMessage: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumVerifyMessage
        public static let protoName = "EthereumVerifyMessage"
        /// 2: required bytes.
        public var signature: [UInt8]
        /// 3: required bytes.
        public var message: [UInt8]
        /// 4: required string.
        public var address: String
        /// 5: optional bool.
        public var chunkify: Bool?

        public init(signature: [UInt8], message: [UInt8], address: String, chunkify: Bool? = nil) {
            self.signature = signature
            self.message = message
            self.address = address
            self.chunkify = chunkify
        }

        public static let empty = EthereumVerifyMessage(signature: [], message: [], address: "")
        public static let fields: [ProtobufFieldSpec<EthereumVerifyMessage>] = [
            .bytes(2, "signature", required: \.signature),
            .bytes(3, "message", required: \.message),
            .string(4, "address", required: \.address),
            .bool(5, "chunkify", \.chunkify),
        ]
    }

    /// EthereumSignTypedHash (470): EIP-712 by its two hashes (Trezor One only; FW legacy/firmware/fsm_msg_ethereum.h).
    public struct EthereumSignTypedHash: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumSignTypedHash
        public static let protoName = "EthereumSignTypedHash"
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: required bytes (32).
        public var domainSeparatorHash: [UInt8]
        /// 3: optional bytes (32): unset for a domain-only message (primaryType "EIP712Domain").
        public var messageHash: [UInt8]?
        /// 4: optional bytes.
        public var encodedNetwork: [UInt8]?

        public init(addressN: [UInt32] = [], domainSeparatorHash: [UInt8], messageHash: [UInt8]? = nil,
                    encodedNetwork: [UInt8]? = nil) {
            self.addressN = addressN
            self.domainSeparatorHash = domainSeparatorHash
            self.messageHash = messageHash
            self.encodedNetwork = encodedNetwork
        }

        public static let empty = EthereumSignTypedHash(domainSeparatorHash: [])
        public static let fields: [ProtobufFieldSpec<EthereumSignTypedHash>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .bytes(2, "domain_separator_hash", required: \.domainSeparatorHash),
            .bytes(3, "message_hash", \.messageHash),
            .bytes(4, "encoded_network", \.encodedNetwork),
        ]
    }

    /// EthereumTypedDataSignature (469): the answer to both typed-data flows.
    public struct EthereumTypedDataSignature: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataSignature
        public static let protoName = "EthereumTypedDataSignature"
        /// 1: required bytes: r || s || v.
        public var signature: [UInt8]
        /// 2: required string.
        public var address: String

        public init(signature: [UInt8], address: String) {
            self.signature = signature
            self.address = address
        }

        public static let empty = EthereumTypedDataSignature(signature: [], address: "")
        public static let fields: [ProtobufFieldSpec<EthereumTypedDataSignature>] = [
            .bytes(1, "signature", required: \.signature),
            .string(2, "address", required: \.address),
        ]
    }
}

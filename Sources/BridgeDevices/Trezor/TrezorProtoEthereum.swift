// Messages of trezor/trezor-firmware common/protob/messages-ethereum.proto (../shared/reference/trezor.md section 3).

extension TrezorProto {
    /// EthereumGetPublicKey (450).
    public struct EthereumGetPublicKey: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumGetPublicKey
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: optional bool.
        public var showDisplay: Bool?

        public init(addressN: [UInt32] = [], showDisplay: Bool? = nil) {
            self.addressN = addressN
            self.showDisplay = showDisplay
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: showDisplay = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.bool(showDisplay, field: 2)
            return writer.bytes
        }
    }

    /// EthereumPublicKey (451): the node, with an xpub in Bitcoin's format.
    public struct EthereumPublicKey: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumPublicKey
        /// 1: required HDNodeType.
        public var node: HDNodeType
        /// 2: required string.
        public var xpub: String

        public init(node: HDNodeType, xpub: String) {
            self.node = node
            self.xpub = xpub
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var node: HDNodeType?, xpub: String?
            while let field = try reader.next() {
                switch field.number {
                case 1: node = try field.message(HDNodeType.self)
                case 2: xpub = try field.string()
                default: break
                }
            }
            guard let node else { throw .missingField("EthereumPublicKey", "node") }
            guard let xpub else { throw .missingField("EthereumPublicKey", "xpub") }
            self.init(node: node, xpub: xpub)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.message(node, field: 1)
            writer.string(xpub, field: 2)
            return writer.bytes
        }
    }

    /// EthereumGetAddress (56).
    public struct EthereumGetAddress: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumGetAddress
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: showDisplay = try field.bool()
                case 3: encodedNetwork = try field.bytes()
                case 4: chunkify = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.bool(showDisplay, field: 2)
            writer.lengthDelimited(encodedNetwork, field: 3)
            writer.bool(chunkify, field: 4)
            return writer.bytes
        }
    }

    /// EthereumAddress (57).
    public struct EthereumAddress: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumAddress
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: oldAddress = try field.bytes()
                case 2: address = try field.string()
                case 3: mac = try field.bytes()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.lengthDelimited(oldAddress, field: 1)
            writer.string(address, field: 2)
            writer.lengthDelimited(mac, field: 3)
            return writer.bytes
        }
    }

    /// EthereumSignMessage (64): EIP-191 personal_sign.
    public struct EthereumSignMessage: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumSignMessage
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var message: [UInt8]?
            self.init(message: [])
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: message = try field.bytes()
                case 3: encodedNetwork = try field.bytes()
                case 4: chunkify = try field.bool()
                default: break
                }
            }
            guard let message else { throw .missingField("EthereumSignMessage", "message") }
            self.message = message
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.lengthDelimited(message, field: 2)
            writer.lengthDelimited(encodedNetwork, field: 3)
            writer.bool(chunkify, field: 4)
            return writer.bytes
        }
    }

    /// EthereumMessageSignature (66).
    public struct EthereumMessageSignature: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumMessageSignature
        /// 2: required bytes: r || s || v (v = 27/28).
        public var signature: [UInt8]
        /// 3: required string.
        public var address: String

        public init(signature: [UInt8], address: String) {
            self.signature = signature
            self.address = address
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var signature: [UInt8]?, address: String?
            while let field = try reader.next() {
                switch field.number {
                case 2: signature = try field.bytes()
                case 3: address = try field.string()
                default: break
                }
            }
            guard let signature else { throw .missingField("EthereumMessageSignature", "signature") }
            guard let address else { throw .missingField("EthereumMessageSignature", "address") }
            self.init(signature: signature, address: address)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.lengthDelimited(signature, field: 2)
            writer.string(address, field: 3)
            return writer.bytes
        }
    }

    /// EthereumVerifyMessage (65): Success or Failure.
    public struct EthereumVerifyMessage: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumVerifyMessage
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var signature: [UInt8]?, message: [UInt8]?, address: String?, chunkify: Bool?
            while let field = try reader.next() {
                switch field.number {
                case 2: signature = try field.bytes()
                case 3: message = try field.bytes()
                case 4: address = try field.string()
                case 5: chunkify = try field.bool()
                default: break
                }
            }
            guard let signature else { throw .missingField("EthereumVerifyMessage", "signature") }
            guard let message else { throw .missingField("EthereumVerifyMessage", "message") }
            guard let address else { throw .missingField("EthereumVerifyMessage", "address") }
            self.init(signature: signature, message: message, address: address, chunkify: chunkify)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.lengthDelimited(signature, field: 2)
            writer.lengthDelimited(message, field: 3)
            writer.string(address, field: 4)
            writer.bool(chunkify, field: 5)
            return writer.bytes
        }
    }

    /// EthereumSignTypedHash (470): EIP-712 by its two hashes (Trezor One only; FW legacy/firmware/fsm_msg_ethereum.h).
    public struct EthereumSignTypedHash: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumSignTypedHash
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var domainSeparatorHash: [UInt8]?
            self.init(domainSeparatorHash: [])
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: domainSeparatorHash = try field.bytes()
                case 3: messageHash = try field.bytes()
                case 4: encodedNetwork = try field.bytes()
                default: break
                }
            }
            guard let domainSeparatorHash else { throw .missingField("EthereumSignTypedHash", "domain_separator_hash") }
            self.domainSeparatorHash = domainSeparatorHash
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.lengthDelimited(domainSeparatorHash, field: 2)
            writer.lengthDelimited(messageHash, field: 3)
            writer.lengthDelimited(encodedNetwork, field: 4)
            return writer.bytes
        }
    }

    /// EthereumTypedDataSignature (469): the answer to both typed-data flows.
    public struct EthereumTypedDataSignature: TrezorMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataSignature
        /// 1: required bytes: r || s || v.
        public var signature: [UInt8]
        /// 2: required string.
        public var address: String

        public init(signature: [UInt8], address: String) {
            self.signature = signature
            self.address = address
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var signature: [UInt8]?, address: String?
            while let field = try reader.next() {
                switch field.number {
                case 1: signature = try field.bytes()
                case 2: address = try field.string()
                default: break
                }
            }
            guard let signature else { throw .missingField("EthereumTypedDataSignature", "signature") }
            guard let address else { throw .missingField("EthereumTypedDataSignature", "address") }
            self.init(signature: signature, address: address)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.lengthDelimited(signature, field: 1)
            writer.string(address, field: 2)
            return writer.bytes
        }
    }
}

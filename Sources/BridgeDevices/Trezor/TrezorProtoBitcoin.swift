// Messages of trezor/trezor-firmware common/protob/messages-bitcoin.proto: GetPublicKey/PublicKey,
// GetAddress/Address, SignMessage/MessageSignature, VerifyMessage and MultisigRedeemScriptType
// (../shared/reference/trezor.md section 3).

extension TrezorProto {
    /// GetPublicKey (11): the node (and xpub) at a path.
    public struct GetPublicKey: TrezorMessage {
        public static let messageType = TrezorMessageType.getPublicKey
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: optional string, e.g. "secp256k1".
        public var ecdsaCurveName: String?
        /// 3: optional bool.
        public var showDisplay: Bool?
        /// 4: optional string (default "Bitcoin").
        public var coinName: String?
        /// 5: optional InputScriptType (default SPENDADDRESS): picks the xpub version bytes.
        public var scriptType: InputScriptType?
        /// 6: optional bool: always use the xpub/tpub version bytes.
        public var ignoreXpubMagic: Bool?
        public var unrecognizedFields: [UInt8] = []

        public init(addressN: [UInt32] = [], ecdsaCurveName: String? = nil, showDisplay: Bool? = nil, coinName: String? = nil,
                    scriptType: InputScriptType? = nil, ignoreXpubMagic: Bool? = nil) {
            self.addressN = addressN
            self.ecdsaCurveName = ecdsaCurveName
            self.showDisplay = showDisplay
            self.coinName = coinName
            self.scriptType = scriptType
            self.ignoreXpubMagic = ignoreXpubMagic
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: ecdsaCurveName = try field.string()
                case 3: showDisplay = try field.bool()
                case 4: coinName = try field.string()
                case 5:
                    if let value = try field.enumeration(InputScriptType.self) { scriptType = value } else { unrecognizedFields += field.encoded }
                case 6: ignoreXpubMagic = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.string(ecdsaCurveName, field: 2)
            writer.bool(showDisplay, field: 3)
            writer.string(coinName, field: 4)
            writer.enumeration(scriptType, field: 5)
            writer.bool(ignoreXpubMagic, field: 6)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// PublicKey (12): the node at the requested path.
    public struct PublicKey: TrezorMessage {
        public static let messageType = TrezorMessageType.publicKey
        /// 1: required HDNodeType.
        public var node: HDNodeType
        /// 2: required string.
        public var xpub: String
        /// 3: optional uint32: the master key's fingerprint.
        public var rootFingerprint: UInt32?
        /// 4: optional string: an output descriptor.
        public var descriptor: String?

        public init(node: HDNodeType, xpub: String, rootFingerprint: UInt32? = nil, descriptor: String? = nil) {
            self.node = node
            self.xpub = xpub
            self.rootFingerprint = rootFingerprint
            self.descriptor = descriptor
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var node: HDNodeType?, xpub: String?, rootFingerprint: UInt32?, descriptor: String?
            while let field = try reader.next() {
                switch field.number {
                case 1: node = try field.message(HDNodeType.self)
                case 2: xpub = try field.string()
                case 3: rootFingerprint = try field.uint32()
                case 4: descriptor = try field.string()
                default: break
                }
            }
            guard let node else { throw .missingField("PublicKey", "node") }
            guard let xpub else { throw .missingField("PublicKey", "xpub") }
            self.init(node: node, xpub: xpub, rootFingerprint: rootFingerprint, descriptor: descriptor)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.message(node, field: 1)
            writer.string(xpub, field: 2)
            writer.uint32(rootFingerprint, field: 3)
            writer.string(descriptor, field: 4)
            return writer.bytes
        }
    }

    /// HDNodePathType (embedded in MultisigRedeemScriptType): a node and the path below it.
    public struct HDNodePathType: TrezorProtobufCodable {
        /// 1: required HDNodeType.
        public var node: HDNodeType
        /// 2: repeated uint32.
        public var addressN: [UInt32]

        public init(node: HDNodeType, addressN: [UInt32] = []) {
            self.node = node
            self.addressN = addressN
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var node: HDNodeType?
            var addressN: [UInt32] = []
            while let field = try reader.next() {
                switch field.number {
                case 1: node = try field.message(HDNodeType.self)
                case 2: addressN += try field.uint32s()
                default: break
                }
            }
            guard let node else { throw .missingField("HDNodePathType", "node") }
            self.init(node: node, addressN: addressN)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.message(node, field: 1)
            writer.repeatedUInt32(addressN, field: 2)
            return writer.bytes
        }
    }

    /// MultisigRedeemScriptType (embedded): the cosigners of a multisig address.
    public struct MultisigRedeemScriptType: TrezorProtobufCodable {
        /// 1: repeated HDNodePathType.
        public var pubkeys: [HDNodePathType]
        /// 2: repeated bytes.
        public var signatures: [[UInt8]]
        /// 3: required uint32.
        public var m: UInt32
        /// 4: repeated HDNodeType.
        public var nodes: [HDNodeType]
        /// 5: repeated uint32.
        public var addressN: [UInt32]
        /// 6: optional MultisigPubkeysOrder (default PRESERVED).
        public var pubkeysOrder: MultisigPubkeysOrder?
        public var unrecognizedFields: [UInt8] = []

        public init(pubkeys: [HDNodePathType] = [], signatures: [[UInt8]] = [], m: UInt32, nodes: [HDNodeType] = [],
                    addressN: [UInt32] = [], pubkeysOrder: MultisigPubkeysOrder? = nil) {
            self.pubkeys = pubkeys
            self.signatures = signatures
            self.m = m
            self.nodes = nodes
            self.addressN = addressN
            self.pubkeysOrder = pubkeysOrder
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var m: UInt32?
            self.init(m: 0)
            while let field = try reader.next() {
                switch field.number {
                case 1: pubkeys.append(try field.message(HDNodePathType.self))
                case 2: signatures.append(try field.bytes())
                case 3: m = try field.uint32()
                case 4: nodes.append(try field.message(HDNodeType.self))
                case 5: addressN += try field.uint32s()
                case 6:
                    if let value = try field.enumeration(MultisigPubkeysOrder.self) { pubkeysOrder = value } else { unrecognizedFields += field.encoded }
                default: break
                }
            }
            guard let m else { throw .missingField("MultisigRedeemScriptType", "m") }
            self.m = m
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedMessage(pubkeys, field: 1)
            writer.repeatedBytes(signatures, field: 2)
            writer.uint32(m, field: 3)
            writer.repeatedMessage(nodes, field: 4)
            writer.repeatedUInt32(addressN, field: 5)
            writer.enumeration(pubkeysOrder, field: 6)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// GetAddress (29): the address at a path for a coin and script type.
    public struct GetAddress: TrezorMessage {
        public static let messageType = TrezorMessageType.getAddress
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: optional string (default "Bitcoin").
        public var coinName: String?
        /// 3: optional bool.
        public var showDisplay: Bool?
        /// 4: optional MultisigRedeemScriptType.
        public var multisig: MultisigRedeemScriptType?
        /// 5: optional InputScriptType (default SPENDADDRESS).
        public var scriptType: InputScriptType?
        /// 6: optional bool.
        public var ignoreXpubMagic: Bool?
        /// 7: optional bool.
        public var chunkify: Bool?
        public var unrecognizedFields: [UInt8] = []

        public init(addressN: [UInt32] = [], coinName: String? = nil, showDisplay: Bool? = nil,
                    multisig: MultisigRedeemScriptType? = nil, scriptType: InputScriptType? = nil, ignoreXpubMagic: Bool? = nil,
                    chunkify: Bool? = nil) {
            self.addressN = addressN
            self.coinName = coinName
            self.showDisplay = showDisplay
            self.multisig = multisig
            self.scriptType = scriptType
            self.ignoreXpubMagic = ignoreXpubMagic
            self.chunkify = chunkify
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: addressN += try field.uint32s()
                case 2: coinName = try field.string()
                case 3: showDisplay = try field.bool()
                case 4: multisig = try field.message(MultisigRedeemScriptType.self)
                case 5:
                    if let value = try field.enumeration(InputScriptType.self) { scriptType = value } else { unrecognizedFields += field.encoded }
                case 6: ignoreXpubMagic = try field.bool()
                case 7: chunkify = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.string(coinName, field: 2)
            writer.bool(showDisplay, field: 3)
            writer.message(multisig, field: 4)
            writer.enumeration(scriptType, field: 5)
            writer.bool(ignoreXpubMagic, field: 6)
            writer.bool(chunkify, field: 7)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// Address (30).
    public struct Address: TrezorMessage {
        public static let messageType = TrezorMessageType.address
        /// 1: required string.
        public var address: String
        /// 2: optional bytes.
        public var mac: [UInt8]?

        public init(address: String, mac: [UInt8]? = nil) {
            self.address = address
            self.mac = mac
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var address: String?, mac: [UInt8]?
            while let field = try reader.next() {
                switch field.number {
                case 1: address = try field.string()
                case 2: mac = try field.bytes()
                default: break
                }
            }
            guard let address else { throw .missingField("Address", "address") }
            self.init(address: address, mac: mac)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(address, field: 1)
            writer.lengthDelimited(mac, field: 2)
            return writer.bytes
        }
    }

    /// SignMessage (38): a BIP-137 message signature.
    public struct SignMessage: TrezorMessage {
        public static let messageType = TrezorMessageType.signMessage
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: required bytes.
        public var message: [UInt8]
        /// 3: optional string (default "Bitcoin").
        public var coinName: String?
        /// 4: optional InputScriptType (default SPENDADDRESS).
        public var scriptType: InputScriptType?
        /// 5: optional bool: header byte 27+recid+4 whatever the script type.
        public var noScriptType: Bool?
        /// 6: optional bool.
        public var chunkify: Bool?
        public var unrecognizedFields: [UInt8] = []

        public init(addressN: [UInt32] = [], message: [UInt8], coinName: String? = nil, scriptType: InputScriptType? = nil,
                    noScriptType: Bool? = nil, chunkify: Bool? = nil) {
            self.addressN = addressN
            self.message = message
            self.coinName = coinName
            self.scriptType = scriptType
            self.noScriptType = noScriptType
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
                case 3: coinName = try field.string()
                case 4:
                    if let value = try field.enumeration(InputScriptType.self) { scriptType = value } else { unrecognizedFields += field.encoded }
                case 5: noScriptType = try field.bool()
                case 6: chunkify = try field.bool()
                default: break
                }
            }
            guard let message else { throw .missingField("SignMessage", "message") }
            self.message = message
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.repeatedUInt32(addressN, field: 1)
            writer.lengthDelimited(message, field: 2)
            writer.string(coinName, field: 3)
            writer.enumeration(scriptType, field: 4)
            writer.bool(noScriptType, field: 5)
            writer.bool(chunkify, field: 6)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// MessageSignature (40).
    public struct MessageSignature: TrezorMessage {
        public static let messageType = TrezorMessageType.messageSignature
        /// 1: required string.
        public var address: String
        /// 2: required bytes (65: header, r, s).
        public var signature: [UInt8]

        public init(address: String, signature: [UInt8]) {
            self.address = address
            self.signature = signature
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var address: String?, signature: [UInt8]?
            while let field = try reader.next() {
                switch field.number {
                case 1: address = try field.string()
                case 2: signature = try field.bytes()
                default: break
                }
            }
            guard let address else { throw .missingField("MessageSignature", "address") }
            guard let signature else { throw .missingField("MessageSignature", "signature") }
            self.init(address: address, signature: signature)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(address, field: 1)
            writer.lengthDelimited(signature, field: 2)
            return writer.bytes
        }
    }

    /// VerifyMessage (39): the device checks a signature; Success or Failure.
    public struct VerifyMessage: TrezorMessage {
        public static let messageType = TrezorMessageType.verifyMessage
        /// 1: required string.
        public var address: String
        /// 2: required bytes.
        public var signature: [UInt8]
        /// 3: required bytes.
        public var message: [UInt8]
        /// 4: optional string (default "Bitcoin").
        public var coinName: String?
        /// 5: optional bool.
        public var chunkify: Bool?

        public init(address: String, signature: [UInt8], message: [UInt8], coinName: String? = nil, chunkify: Bool? = nil) {
            self.address = address
            self.signature = signature
            self.message = message
            self.coinName = coinName
            self.chunkify = chunkify
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var address: String?, signature: [UInt8]?, message: [UInt8]?, coinName: String?, chunkify: Bool?
            while let field = try reader.next() {
                switch field.number {
                case 1: address = try field.string()
                case 2: signature = try field.bytes()
                case 3: message = try field.bytes()
                case 4: coinName = try field.string()
                case 5: chunkify = try field.bool()
                default: break
                }
            }
            guard let address else { throw .missingField("VerifyMessage", "address") }
            guard let signature else { throw .missingField("VerifyMessage", "signature") }
            guard let message else { throw .missingField("VerifyMessage", "message") }
            self.init(address: address, signature: signature, message: message, coinName: coinName, chunkify: chunkify)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(address, field: 1)
            writer.lengthDelimited(signature, field: 2)
            writer.lengthDelimited(message, field: 3)
            writer.string(coinName, field: 4)
            writer.bool(chunkify, field: 5)
            return writer.bytes
        }
    }
}

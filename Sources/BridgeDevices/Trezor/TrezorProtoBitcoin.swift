// Messages of trezor/trezor-firmware common/protob/messages-bitcoin.proto: GetPublicKey/PublicKey,
// GetAddress/Address, SignMessage/MessageSignature, VerifyMessage and MultisigRedeemScriptType
// (../shared/reference/trezor.md section 3).

extension TrezorProto {
    /// GetPublicKey (11): the node (and xpub) at a path.
    public struct GetPublicKey: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.getPublicKey
        public static let protoName = "GetPublicKey"
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

        public static let empty = GetPublicKey()
        public static let fields: [ProtobufFieldSpec<GetPublicKey>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .string(2, "ecdsa_curve_name", \.ecdsaCurveName),
            .bool(3, "show_display", \.showDisplay),
            .string(4, "coin_name", \.coinName),
            .enumeration(5, "script_type", \.scriptType, unrecognized: \.unrecognizedFields),
            .bool(6, "ignore_xpub_magic", \.ignoreXpubMagic),
        ]
    }

    /// PublicKey (12): the node at the requested path.
    public struct PublicKey: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.publicKey
        public static let protoName = "PublicKey"
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

        public static let empty = PublicKey(node: .empty, xpub: "")
        public static let fields: [ProtobufFieldSpec<PublicKey>] = [
            .message(1, "node", required: \.node),
            .string(2, "xpub", required: \.xpub),
            .uint32(3, "root_fingerprint", \.rootFingerprint),
            .string(4, "descriptor", \.descriptor),
        ]
    }

    /// HDNodePathType (embedded in MultisigRedeemScriptType): a node and the path below it.
    public struct HDNodePathType: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "HDNodePathType"
        /// 1: required HDNodeType.
        public var node: HDNodeType
        /// 2: repeated uint32.
        public var addressN: [UInt32]

        public init(node: HDNodeType, addressN: [UInt32] = []) {
            self.node = node
            self.addressN = addressN
        }

        public static let empty = HDNodePathType(node: .empty)
        public static let fields: [ProtobufFieldSpec<HDNodePathType>] = [
            .message(1, "node", required: \.node),
            .repeatedUInt32(2, "address_n", \.addressN),
        ]
    }

    /// MultisigRedeemScriptType (embedded): the cosigners of a multisig address.
    public struct MultisigRedeemScriptType: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "MultisigRedeemScriptType"
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

        public static let empty = MultisigRedeemScriptType(m: 0)
        public static let fields: [ProtobufFieldSpec<MultisigRedeemScriptType>] = [
            .repeatedMessage(1, "pubkeys", \.pubkeys),
            .repeatedBytes(2, "signatures", \.signatures),
            .uint32(3, "m", required: \.m),
            .repeatedMessage(4, "nodes", \.nodes),
            .repeatedUInt32(5, "address_n", \.addressN),
            .enumeration(6, "pubkeys_order", \.pubkeysOrder, unrecognized: \.unrecognizedFields),
        ]
    }

    /// GetAddress (29): the address at a path for a coin and script type.
    public struct GetAddress: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.getAddress
        public static let protoName = "GetAddress"
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

        public static let empty = GetAddress()
        public static let fields: [ProtobufFieldSpec<GetAddress>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .string(2, "coin_name", \.coinName),
            .bool(3, "show_display", \.showDisplay),
            .message(4, "multisig", \.multisig),
            .enumeration(5, "script_type", \.scriptType, unrecognized: \.unrecognizedFields),
            .bool(6, "ignore_xpub_magic", \.ignoreXpubMagic),
            .bool(7, "chunkify", \.chunkify),
        ]
    }

    /// Address (30).
    public struct Address: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.address
        public static let protoName = "Address"
        /// 1: required string.
        public var address: String
        /// 2: optional bytes.
        public var mac: [UInt8]?

        public init(address: String, mac: [UInt8]? = nil) {
            self.address = address
            self.mac = mac
        }

        public static let empty = Address(address: "")
        public static let fields: [ProtobufFieldSpec<Address>] = [
            .string(1, "address", required: \.address),
            .bytes(2, "mac", \.mac),
        ]
    }

    /// SignMessage (38): a BIP-137 message signature.
    public struct SignMessage: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.signMessage
        public static let protoName = "SignMessage"
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

        public static let empty = SignMessage(message: [])
        public static let fields: [ProtobufFieldSpec<SignMessage>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .bytes(2, "message", required: \.message),
            .string(3, "coin_name", \.coinName),
            .enumeration(4, "script_type", \.scriptType, unrecognized: \.unrecognizedFields),
            .bool(5, "no_script_type", \.noScriptType),
            .bool(6, "chunkify", \.chunkify),
        ]
    }

    /// MessageSignature (40).
    public struct MessageSignature: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.messageSignature
        public static let protoName = "MessageSignature"
        /// 1: required string.
        public var address: String
        /// 2: required bytes (65: header, r, s).
        public var signature: [UInt8]

        public init(address: String, signature: [UInt8]) {
            self.address = address
            self.signature = signature
        }

        public static let empty = MessageSignature(address: "", signature: [])
        public static let fields: [ProtobufFieldSpec<MessageSignature>] = [
            .string(1, "address", required: \.address),
            .bytes(2, "signature", required: \.signature),
        ]
    }

    /// VerifyMessage (39): the device checks a signature; Success or Failure.
    public struct VerifyMessage: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.verifyMessage
        public static let protoName = "VerifyMessage"
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

        public static let empty = VerifyMessage(address: "", signature: [], message: [])
        public static let fields: [ProtobufFieldSpec<VerifyMessage>] = [
            .string(1, "address", required: \.address),
            .bytes(2, "signature", required: \.signature),
            .bytes(3, "message", required: \.message),
            .string(4, "coin_name", \.coinName),
            .bool(5, "chunkify", \.chunkify),
        ]
    }
}

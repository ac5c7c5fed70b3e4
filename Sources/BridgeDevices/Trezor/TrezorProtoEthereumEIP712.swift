// The full EIP-712 flow: trezor/trezor-firmware common/protob/messages-ethereum-eip712.proto (EthereumSignTypedData,
// EthereumTypedDataStructRequest/Ack with EthereumStructMember, EthereumFieldType, EthereumDataType, and
// EthereumTypedDataValueRequest/Ack); EthereumDefinitions from common/protob/messages-ethereum-definitions.proto.
// The proto nests EthereumStructMember, EthereumFieldType and EthereumDataType in EthereumTypedDataStructAck; they
// live directly in TrezorProto here. Field 4 (definitions) and 5 (show_message_hash) of EthereumSignTypedData are
// from ../shared/reference/trezor.md section 3.

extension TrezorProto {
    /// EthereumDefinitions (embedded): signed network and token definitions.
    public struct EthereumDefinitions: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "EthereumDefinitions"
        /// 1: optional bytes.
        public var encodedNetwork: [UInt8]?
        /// 2: optional bytes.
        public var encodedToken: [UInt8]?

        public init(encodedNetwork: [UInt8]? = nil, encodedToken: [UInt8]? = nil) {
            self.encodedNetwork = encodedNetwork
            self.encodedToken = encodedToken
        }

        public static let empty = EthereumDefinitions()
        public static let fields: [ProtobufFieldSpec<EthereumDefinitions>] = [
            .bytes(1, "encoded_network", \.encodedNetwork),
            .bytes(2, "encoded_token", \.encodedToken),
        ]
    }

    /// EthereumSignTypedData (464): starts the struct/value request loop (core models; a Trezor One answers
    /// Failure(UnexpectedMessage, "Unknown message")).
    public struct EthereumSignTypedData: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumSignTypedData
        public static let protoName = "EthereumSignTypedData"
        /// 1: repeated uint32.
        public var addressN: [UInt32]
        /// 2: required string: the name of the root struct.
        public var primaryType: String
        /// 3: optional bool (default true): MetaMask v4 array encoding.
        public var metamaskV4Compat: Bool?
        /// 4: optional EthereumDefinitions.
        public var definitions: EthereumDefinitions?
        /// 5: optional bytes: the message hash to show (and check) on the device.
        public var showMessageHash: [UInt8]?

        public init(addressN: [UInt32] = [], primaryType: String, metamaskV4Compat: Bool? = nil,
                    definitions: EthereumDefinitions? = nil, showMessageHash: [UInt8]? = nil) {
            self.addressN = addressN
            self.primaryType = primaryType
            self.metamaskV4Compat = metamaskV4Compat
            self.definitions = definitions
            self.showMessageHash = showMessageHash
        }

        public static let empty = EthereumSignTypedData(primaryType: "")
        public static let fields: [ProtobufFieldSpec<EthereumSignTypedData>] = [
            .repeatedUInt32(1, "address_n", \.addressN),
            .string(2, "primary_type", required: \.primaryType),
            .bool(3, "metamask_v4_compat", \.metamaskV4Compat),
            .message(4, "definitions", \.definitions),
            .bytes(5, "show_message_hash", \.showMessageHash),
        ]
    }

    /// EthereumTypedDataStructRequest (465): the device asks for a struct's members.
    public struct EthereumTypedDataStructRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataStructRequest
        public static let protoName = "EthereumTypedDataStructRequest"
        /// 1: required string.
        public var name: String

        public init(name: String) {
            self.name = name
        }

        public static let empty = EthereumTypedDataStructRequest(name: "")
        public static let fields: [ProtobufFieldSpec<EthereumTypedDataStructRequest>] = [
            .string(1, "name", required: \.name),
        ]
    }

    /// EthereumDataType: the kind of an EIP-712 member.
    public enum EthereumDataType: Int, Sendable, CaseIterable {
        case uint = 1
        case int = 2
        case bytes = 3
        case string = 4
        case bool = 5
        case address = 6
        case array = 7
        case `struct` = 8
    }

    /// EthereumFieldType (embedded): a member's type, recursively for arrays.
    public struct EthereumFieldType: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "EthereumFieldType"
        /// 1: required EthereumDataType.
        public var dataType: EthereumDataType {
            get { dataTypeValue ?? .uint }
            set { dataTypeValue = newValue }
        }
        /// 2: optional uint32: bytes for int/uint/fixed bytes, elements for fixed arrays, members for structs;
        /// unset for dynamic bytes/arrays, string, bool and address.
        public var size: UInt32?
        /// 3: optional EthereumFieldType: an array's element type.
        public var entryType: EthereumFieldType? {
            get { entryTypeStorage.first }
            set { entryTypeStorage = newValue.map { [$0] } ?? [] }
        }
        /// 4: optional string: a struct's name.
        public var structName: String?
        public var unrecognizedFields: [UInt8] = []
        // nil only while decoding: a value this code does not know leaves the required field missing.
        private var dataTypeValue: EthereumDataType?
        // An array gives the recursive field value semantics without a class box.
        private var entryTypeStorage: [EthereumFieldType] = []

        public init(dataType: EthereumDataType, size: UInt32? = nil, entryType: EthereumFieldType? = nil, structName: String? = nil) {
            self.dataTypeValue = dataType
            self.size = size
            self.structName = structName
            self.entryType = entryType
        }

        private init() {}

        public static let empty = EthereumFieldType()
        public static let fields: [ProtobufFieldSpec<EthereumFieldType>] = [
            .enumeration(1, "data_type (or it has an unknown value)", required: \.dataTypeValue,
                         unrecognized: \.unrecognizedFields),
            .uint32(2, "size", \.size),
            .message(3, "entry_type", \.entryType),
            .string(4, "struct_name", \.structName),
        ]
    }

    /// EthereumStructMember (embedded): one member of a struct.
    public struct EthereumStructMember: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "EthereumStructMember"
        /// 1: required EthereumFieldType.
        public var type: EthereumFieldType
        /// 2: required string.
        public var name: String

        public init(type: EthereumFieldType, name: String) {
            self.type = type
            self.name = name
        }

        public static let empty = EthereumStructMember(type: EthereumFieldType(dataType: .uint), name: "")
        public static let fields: [ProtobufFieldSpec<EthereumStructMember>] = [
            .message(1, "type", required: \.type),
            .string(2, "name", required: \.name),
        ]
    }

    /// EthereumTypedDataStructAck (466): the members of the requested struct, in declaration order.
    public struct EthereumTypedDataStructAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataStructAck
        public static let protoName = "EthereumTypedDataStructAck"
        /// 1: repeated EthereumStructMember.
        public var members: [EthereumStructMember]

        public init(members: [EthereumStructMember] = []) {
            self.members = members
        }

        public static let empty = EthereumTypedDataStructAck()
        public static let fields: [ProtobufFieldSpec<EthereumTypedDataStructAck>] = [
            .repeatedMessage(1, "members", \.members),
        ]
    }

    /// EthereumTypedDataValueRequest (467): the device asks for the value at a member path (first element 0 =
    /// domain, 1 = message; then member indexes and array indexes).
    public struct EthereumTypedDataValueRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataValueRequest
        public static let protoName = "EthereumTypedDataValueRequest"
        /// 1: repeated uint32.
        public var memberPath: [UInt32]

        public init(memberPath: [UInt32] = []) {
            self.memberPath = memberPath
        }

        public static let empty = EthereumTypedDataValueRequest()
        public static let fields: [ProtobufFieldSpec<EthereumTypedDataValueRequest>] = [
            .repeatedUInt32(1, "member_path", \.memberPath),
        ]
    }

    /// EthereumTypedDataValueAck (468): one atomic value, or an array's length as a big-endian uint16.
    public struct EthereumTypedDataValueAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ethereumTypedDataValueAck
        public static let protoName = "EthereumTypedDataValueAck"
        /// 1: required bytes.
        public var value: [UInt8]

        public init(value: [UInt8]) {
            self.value = value
        }

        public static let empty = EthereumTypedDataValueAck(value: [])
        public static let fields: [ProtobufFieldSpec<EthereumTypedDataValueAck>] = [
            .bytes(1, "value", required: \.value),
        ]
    }
}

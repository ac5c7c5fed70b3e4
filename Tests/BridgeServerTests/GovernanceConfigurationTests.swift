import BridgeApprovals
import BridgeCore
import BridgeServer
import Testing

/// `governance` in the configuration file: how many admins approve a policy change and how long they have.
@Suite("Service configuration: governance")
struct GovernanceConfigurationTests {
    let tests = ConfigurationTests()

    @Test func defaultsAreTwoAdminsAndADay() throws {
        let configuration = try tests.parse(ConfigurationTests.minimal)
        #expect(configuration.policyApprovals == 2)
        #expect(configuration.policyProposalTTL == .seconds(86_400))
        let approvals = try configuration.approvalConfiguration(deploymentID: [UInt8](repeating: 1, count: 32))
        #expect(approvals.policyApprovals == 2)
        #expect(approvals.policyProposalLifetime == .seconds(86_400))
    }

    @Test func theFileSetsBoth() throws {
        let configuration = try tests.parse(tests.minimal(with: "governance", #"{"policyApprovals": 3, "proposalTTLSeconds": 3600}"#))
        #expect(configuration.policyApprovals == 3)
        #expect(configuration.policyProposalTTL == .seconds(3600))
        let approvals = try configuration.approvalConfiguration(deploymentID: [UInt8](repeating: 1, count: 32))
        #expect(approvals.policyApprovals == 3)
        #expect(approvals.policyProposalLifetime == .seconds(3600))
    }

    @Test(arguments: [
        (#"{"policyApprovals": 0}"#, "governance.policyApprovals"),
        (#"{"policyApprovals": "2"}"#, "governance.policyApprovals"),
        (#"{"proposalTTLSeconds": 5}"#, "governance.proposalTTLSeconds"),
        (#"{"quorum": 2}"#, "governance.quorum"),
        (#"[]"#, "governance"),
    ])
    func badValuesAreRefusedNamingTheField(value: String, field: String) {
        let error = tests.refusal(tests.minimal(with: "governance", value))
        #expect(error?.field == field, "\(String(describing: error))")
    }
}

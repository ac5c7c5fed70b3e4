import BridgeCore
import BridgeSimulator
import Foundation
import Testing

@Suite("The simulated Ledger's review flow and screen (buttons, Speculos text events)")
struct LedgerReviewFlowTests {
    static let review = [
        DeviceScreen(name: "review_message", title: "Review message", lines: ["Message", "hello"]),
        DeviceScreen(name: "sign", title: "Sign message"),
    ]

    @Test("right walks to the approve step and on to Reject, left walks back, neither wraps; both decides only there")
    func navigation() {
        var flow = LedgerReviewFlow(review: Self.review)
        #expect(flow.steps.map(\.title) == ["Review message", "Sign message", "Reject"])
        #expect(flow.press(.left) == .unchanged)
        #expect(flow.press(.both) == .unchanged, "both on a review step does nothing")
        #expect(flow.press(.right) == .moved(Self.review[1]))
        #expect(flow.press(.right) == .moved(LedgerReviewFlow.rejectStep))
        #expect(flow.press(.right) == .unchanged)
        #expect(flow.press(.both) == .decided(approved: false))
        #expect(flow.press(.left) == .moved(Self.review[1]))
        #expect(flow.press(.both) == .decided(approved: true))
    }

    @Test("the presses a simulated user makes: right to the approve step then both; one right more to reject")
    func pressesToDecide() {
        let flow = LedgerReviewFlow(review: Self.review)
        #expect(flow.pressesToDecide.approve == [.right, .both])
        #expect(flow.pressesToDecide.reject == [.right, .right, .both])
        var approving = flow
        #expect(flow.pressesToDecide.approve.map { approving.press($0) }.last == .decided(approved: true))
        var rejecting = flow
        #expect(flow.pressesToDecide.reject.map { rejecting.press($0) }.last == .decided(approved: false))
        #expect(LedgerReviewFlow(review: []).steps.map(\.title) == ["Approve", "Reject"])
    }

    @Test("an approving simulated user's events: home, each step it scrolls through, home again")
    func autoApproveEvents() throws {
        let device = try SimulatedLedger(configuration: .init())
        #expect(device.display.events().map(\.text) == ["Ethereum", "is ready"])
        device.display.clearEvents()
        #expect(device.display.events().isEmpty)
        #expect(device.display.events(currentScreenOnly: true).map(\.text) == ["Ethereum", "is ready"])
        let answer = device.handle(try SimulatorTest.command("e002010015058000002c8000003c800000000000000000000000"))
        #expect(answer.statusWord == 0x9000)
        #expect(device.display.events().map(\.text) == [
            "Verify Ethereum address", "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D", "Approve", "Ethereum", "is ready",
        ])
        let event = try #require(device.display.events().first)
        #expect((event.x, event.y, event.w, event.h) == (0, 3, 128, 11))
    }

    @Test("a rejecting simulated user scrolls on to Reject; the app answers 6985")
    func autoDenyEvents() throws {
        let device = try SimulatedLedger(configuration: .init(approval: .deny))
        device.display.clearEvents()
        let answer = device.handle(try SimulatorTest.command("e002010015058000002c8000003c800000000000000000000000"))
        #expect(answer.statusWord == 0x6985)
        #expect(device.display.events().map(\.text).contains("Reject"))
        #expect(device.display.events(currentScreenOnly: true).map(\.text) == ["Ethereum", "is ready"])
    }

    @Test("press and release apart: left and right held together and released are both")
    func chords() throws {
        let device = try SimulatedLedger(configuration: .init(approval: .buttons))
        let answer = Awaited<UInt16>()
        let address = try SimulatorTest.command("e002010015058000002c8000003c800000000000000000000000")
        let worker = Thread { answer.set(device.handle(address).statusWord) }
        worker.start()
        #expect(device.display.awaitReview(timeout: .seconds(10))?.title == "Verify Ethereum address")
        device.display.hold(.right, down: true)
        device.display.hold(.right, down: false)
        #expect(device.display.awaitingDecision?.title == "Approve")
        device.display.hold(.left, down: true)
        device.display.hold(.right, down: true)
        device.display.hold(.left, down: false)
        #expect(device.display.awaitingDecision?.title == "Approve", "nothing happens until every button is up")
        device.display.hold(.right, down: false)
        #expect(answer.wait() == 0x9000)
    }

    @Test("closing the display ends a wait for buttons rejected, and later ones at once")
    func closeRejects() throws {
        let device = try SimulatedLedger(configuration: .init(approval: .buttons))
        let answer = Awaited<UInt16>()
        let address = try SimulatorTest.command("e002010015058000002c8000003c800000000000000000000000")
        Thread { answer.set(device.handle(address).statusWord) }.start()
        #expect(device.display.awaitReview(timeout: .seconds(10)) != nil)
        device.display.close()
        #expect(answer.wait() == 0x6985)
        #expect(device.handle(address).statusWord == 0x6985)
        #expect(device.handle(try SimulatorTest.command("e002000015058000002c8000003c800000000000000000000000")).statusWord == 0x9000,
                "a request that shows nothing still answers")
    }
}

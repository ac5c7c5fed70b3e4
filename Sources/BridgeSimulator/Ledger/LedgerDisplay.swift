import BridgeCore
import FoundationEssentials

/// One line of text drawn on the screen, in Speculos's event shape (LedgerHQ/speculos speculos/observer.py
/// `TextEvent`: text, x, y, w, h). Coordinates follow a Nano's 128 x 64 screen, one line every 16 pixels; a long line
/// is one event, not wrapped as the device would wrap it, so clients should match on text.
public struct LedgerTextEvent: Sendable, Equatable {
    public var text: String
    public var x: Int
    public var y: Int
    public var w: Int
    public var h: Int

    /// Title first, then each line.
    static func lines(of screen: DeviceScreen) -> [LedgerTextEvent] {
        ([screen.title] + screen.lines).filter { !$0.isEmpty }.enumerated().map { row, text in
            LedgerTextEvent(text: text, x: 0, y: 3 + 16 * row, w: 128, h: 11)
        }
    }
}

/// What a simulated Ledger's screen shows and what its buttons do: the review screens of each request, the text
/// events Speculos's `GET /events` serves, and, when the device waits for buttons (``SimulatedLedger/Approval/buttons``),
/// the review flow that `POST /button/...` walks until the user approves or rejects.
///
/// It has its own lock, apart from the device's: while an APDU waits for a decision (holding the device), events
/// stay readable and buttons pressable.
public final class LedgerDisplay: @unchecked Sendable {
    // @unchecked: every stored property is read and written only while holding `condition`.
    private let condition = ConditionLock()
    private var screensShown: [DeviceScreen] = []
    private var events: [LedgerTextEvent] = []
    private var currentScreen: [LedgerTextEvent] = []
    private var flow: LedgerReviewFlow?
    private var decision: Bool?
    /// Buttons held down (`press` without `release` yet) and every button pressed since all were last up.
    private var held: Set<LedgerButton> = []
    private var chord: Set<LedgerButton> = []
    private var closed = false
    /// Who hears each text event as it is drawn (Speculos's `GET /events?stream=true`), by token.
    private var listeners: [Int: @Sendable (LedgerTextEvent) -> Bool] = [:]
    private var nextListener = 0

    init(home: DeviceScreen) {
        draw(home)
    }

    /// Every review screen shown since the device started, oldest first, at most ``DeviceScreen/historyLimit``.
    public var reviewScreens: [DeviceScreen] { locked { $0.screensShown } }

    /// Speculos's `GET /events`: the text drawn since the last ``clearEvents()``, or with `currentScreenOnly` the text
    /// of the screen on display.
    public func events(currentScreenOnly: Bool = false) -> [LedgerTextEvent] {
        locked { currentScreenOnly ? $0.currentScreen : $0.events }
    }

    /// Calls `listener` with every text event drawn from now on, on the drawing thread with the display locked: it must
    /// not block nor call the display. It returns false to stop listening; ``removeListener(_:)`` stops it too.
    @discardableResult
    public func addListener(_ listener: @escaping @Sendable (LedgerTextEvent) -> Bool) -> Int {
        locked { display in
            display.nextListener += 1
            display.listeners[display.nextListener] = listener
            return display.nextListener
        }
    }

    public func removeListener(_ token: Int) {
        locked { _ = $0.listeners.removeValue(forKey: token) }
    }

    /// Speculos's `DELETE /events`: forgets the events so far (the screen on display stays).
    public func clearEvents() {
        locked { $0.events = [] }
    }

    /// The review step on screen while a request waits for buttons; nil otherwise.
    public var awaitingDecision: DeviceScreen? { locked { $0.flow?.current } }

    /// Waits until a request waits for buttons, or `timeout` passes; the step on screen then.
    public func awaitReview(timeout: Duration) -> DeviceScreen? {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while flow == nil, !closed {
            guard condition.wait(timeout: deadline - ContinuousClock.now) else { break }
        }
        return flow?.current
    }

    /// One press-and-release of `button`.
    public func press(_ button: LedgerButton) {
        locked { $0.act(on: button) }
    }

    /// Speculos's separate `press` and `release` actions: the buttons pressed while any was down act together once
    /// all are up (left and right pressed together and released are "both").
    public func hold(_ button: LedgerButton, down: Bool) {
        let buttons: Set<LedgerButton> = button == .both ? [.left, .right] : [button]
        locked { display in
            if down {
                display.held.formUnion(buttons)
                display.chord.formUnion(buttons)
            } else {
                display.held.subtract(buttons)
                guard display.held.isEmpty, !display.chord.isEmpty else { return }
                let pressed: LedgerButton = display.chord.count == 2 ? .both : display.chord.first == .left ? .left : .right
                display.chord = []
                display.act(on: pressed)
            }
        }
    }

    /// Ends every wait with a rejection and makes later ones reject at once (the server is stopping).
    public func close() {
        locked { display in
            display.closed = true
            if display.flow != nil { display.decision = false }
            display.condition.broadcast()
        }
    }

    /// Shows `review` (its last screen approves) and returns the user's answer: at once for `.approve`/`.deny` (the
    /// simulated user scrolls through and presses both on "approve" or "Reject"), after button presses for
    /// `.buttons`. Then `home` is shown. One request at a time: the device's own lock serialises callers.
    func confirm(_ review: [DeviceScreen], approval: SimulatedLedger.Approval, home: DeviceScreen) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        for screen in review { screensShown.record(screen) }
        var flow = LedgerReviewFlow(review: review)
        draw(flow.current)
        let approved: Bool
        switch approval {
        case .approve, .deny:
            let presses = approval == .approve ? flow.pressesToDecide.approve : flow.pressesToDecide.reject
            var outcome = LedgerReviewFlow.Outcome.unchanged
            for button in presses {
                outcome = flow.press(button)
                if case .moved(let screen) = outcome { draw(screen) }
            }
            approved = outcome == .decided(approved: true)
        case .buttons:
            guard !closed else { return false }
            self.flow = flow
            decision = nil
            condition.broadcast()
            while decision == nil { condition.wait() }
            approved = decision ?? false
            self.flow = nil
            decision = nil
        }
        draw(home)
        return approved
    }

    /// Draws `screen`: a new screen replaces the current one's text and adds its lines to the events.
    func show(_ screen: DeviceScreen) {
        locked { $0.draw(screen) }
    }

    private func draw(_ screen: DeviceScreen) {
        currentScreen = LedgerTextEvent.lines(of: screen)
        events += currentScreen
        let drawn = currentScreen
        listeners = listeners.filter { _, listener in drawn.allSatisfy { listener($0) } }
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }

    private func act(on button: LedgerButton) {
        guard var current = flow else { return }
        switch current.press(button) {
        case .moved(let screen):
            draw(screen)
            flow = current
        case .unchanged:
            break
        case .decided(let approved):
            flow = current
            decision = approved
            condition.broadcast()
        }
    }

    /// Events kept at most, oldest dropped first (a client that never clears them must not grow the process).
    static let eventLimit = 4096

    private func locked<T>(_ body: (LedgerDisplay) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(self)
    }
}

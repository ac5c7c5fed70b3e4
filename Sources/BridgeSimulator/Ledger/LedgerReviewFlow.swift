/// The two buttons of a Nano (S, S Plus, X), as Speculos's `POST /button/{left,right,both}` names them.
public enum LedgerButton: String, Sendable, CaseIterable {
    case left
    case right
    /// Both buttons together: "select" on the step shown.
    case both
}

/// A Nano's review flow as a state machine, without I/O: the review's steps one screen each, the approve step (the
/// review's last screen, e.g. "Sign typed message"), then "Reject". Right moves on, left moves back (neither wraps),
/// both buttons on the approve or reject step decide; on any other step they do nothing, as in the apps' NBGL/BAGL
/// step flows (app-ethereum src_bagl/ui_flow_signMessage712.c: review steps, then "Sign message", then "Cancel").
public struct LedgerReviewFlow: Sendable, Equatable {
    /// What a button press did.
    public enum Outcome: Sendable, Equatable {
        /// The flow moved to another step, now on screen.
        case moved(DeviceScreen)
        /// The press changed nothing (left on the first step, right on the last, both on a review step).
        case unchanged
        /// The user approved (true) or rejected (false) on the device.
        case decided(approved: Bool)
    }

    /// The step every flow ends with.
    public static let rejectStep = DeviceScreen(name: "reject", title: "Reject")

    /// Every step in order: the review's screens (the last of which approves), then ``rejectStep``.
    public let steps: [DeviceScreen]
    /// The step on screen.
    public private(set) var index = 0

    /// A flow over `review`, whose last screen is the approve step. An empty review gets a bare "Approve" step.
    public init(review: [DeviceScreen]) {
        let review = review.isEmpty ? [DeviceScreen(name: "approve", title: "Approve")] : review
        steps = review + [Self.rejectStep]
    }

    /// The step on screen.
    public var current: DeviceScreen { steps[index] }

    /// The approve step's index (the review's last screen).
    public var approveIndex: Int { steps.count - 2 }

    /// Acts on one press-and-release of `button`.
    public mutating func press(_ button: LedgerButton) -> Outcome {
        switch button {
        case .left:
            guard index > 0 else { return .unchanged }
            index -= 1
            return .moved(current)
        case .right:
            guard index + 1 < steps.count else { return .unchanged }
            index += 1
            return .moved(current)
        case .both:
            if index == approveIndex { return .decided(approved: true) }
            if index == steps.count - 1 { return .decided(approved: false) }
            return .unchanged
        }
    }

    /// The presses a user makes from the first step to approve (right to the approve step, then both) or to reject
    /// (right past it to "Reject", then both): how the simulated user answers when nobody presses through the API.
    public var pressesToDecide: (approve: [LedgerButton], reject: [LedgerButton]) {
        let toApprove = [LedgerButton](repeating: .right, count: approveIndex - index)
        return (toApprove + [.both], toApprove + [.right, .both])
    }
}

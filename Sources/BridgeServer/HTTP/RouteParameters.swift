/// The values of a route's `{name}` segments, e.g. `order_id` in `/operator/transfers/{order_id}/approve`.
public struct RouteParameters: Sendable, Equatable {
    public let values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// The value of `{name}`; nil when the route has no such segment.
    public subscript(name: String) -> String? { values[name] }
}

/// How serious a dispatcher log line is. The service's logger decides where lines go.
public enum WebhookLogLevel: String, Sendable {
    case info
    case warning
    case error
}

/// Where the dispatcher reports what it did: a failed attempt (warning), a message given up on (error, the alert).
public typealias WebhookLogger = @Sendable (_ level: WebhookLogLevel, _ message: String) -> Void

import FoundationEssentials
import Glibc

extension Error {
    /// One line for a person: the system's text for the errno beneath a file-system error (`Permission denied`),
    /// with the path it concerns when the error names one; else the error as Swift prints it. What Foundation's
    /// `localizedDescription` gave, which FoundationEssentials does not have.
    public var systemDescription: String {
        let posix = (self as? POSIXError) ?? ((self as? CocoaError)?.userInfo["NSUnderlyingError"] as? POSIXError)
        guard let posix else { return "\(self)" }
        let reason = String(cString: strerror(posix.code.rawValue))
        if let path = (self as? CocoaError)?.userInfo["NSFilePath"] as? String { return "\(reason) (\(path))" }
        return reason
    }
}

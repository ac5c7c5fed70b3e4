import Glibc

/// The account the CLI runs as, from the password database (what Foundation's `NSUserName` and
/// `NSHomeDirectory` read).
enum CurrentUser {
    /// The login name of the effective user, or its numeric id when the database has no entry (a container's
    /// arbitrary uid).
    static var name: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "\(geteuid())" }
        return String(cString: name)
    }

    /// The effective user's home directory from the password database, or `/` when it has none.
    static var homeDirectory: String {
        guard let entry = getpwuid(geteuid()), let home = entry.pointee.pw_dir else { return "/" }
        return String(cString: home)
    }
}

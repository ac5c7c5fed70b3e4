/// Picks the known name a mistyped one was most likely meant to be, for "did you mean" hints.
enum NearestName {
    /// The candidate closest to `typed` (a prefix of it, or within a few edits), or nil when none is close.
    static func suggestion(for typed: String, among candidates: [String]) -> String? {
        let prefixed = candidates.filter { $0.hasPrefix(typed) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = candidates.map { (name: $0, distance: editDistance(typed, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        // Allow about one typo per three characters; beyond that a suggestion is more confusing than helpful.
        let tolerance = max(1, min(typed.count, best.name.count) / 3)
        return best.distance <= tolerance ? best.name : nil
    }

    /// The edit distance: the fewest insertions, deletions, substitutions and swaps of neighbours turning `a`
    /// into `b` (optimal string alignment; a swap is the commonest typo, so it counts as one edit).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var beforePrevious = [Int]()
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}

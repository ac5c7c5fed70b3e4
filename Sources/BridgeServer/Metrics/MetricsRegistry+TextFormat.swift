/// The Prometheus text exposition format.
extension MetricFamily {
    func render(samples: [MetricSample]?) -> String {
        var text = "# HELP \(name) \(PrometheusText.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        if let samples {
            for sample in samples.sorted(by: { LabelSet($0.labels) < LabelSet($1.labels) }) {
                text += "\(name)\(PrometheusText.labels(LabelSet(sample.labels).labels)) \(PrometheusText.number(sample.value))\n"
            }
            return text
        }
        for (labelSet, value) in series.values.sorted(by: { $0.key < $1.key }) {
            let labels = labelSet.labels
            guard kind == .histogram else {
                text += "\(name)\(PrometheusText.labels(labels)) \(PrometheusText.number(value.value))\n"
                continue
            }
            var cumulative: UInt64 = 0
            for (bound, count) in zip(buckets, value.buckets) {
                cumulative += count
                let le = labels + [LabelSet.Label(name: "le", value: PrometheusText.number(bound))]
                text += "\(name)_bucket\(PrometheusText.labels(le)) \(cumulative)\n"
            }
            let infinity = labels + [LabelSet.Label(name: "le", value: "+Inf")]
            text += "\(name)_bucket\(PrometheusText.labels(infinity)) \(value.count)\n"
            text += "\(name)_sum\(PrometheusText.labels(labels)) \(PrometheusText.number(value.value))\n"
            text += "\(name)_count\(PrometheusText.labels(labels)) \(value.count)\n"
        }
        return text
    }
}

enum PrometheusText {
    /// `{a="x",b="y"}`, or nothing for no labels.
    static func labels(_ labels: [LabelSet.Label]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and line feed only.
    static func escapeHelp(_ help: String) -> String {
        help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// Integers without a fraction (`3`), others in Swift's shortest round-trip form (`0.005`), `+Inf`, `NaN`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `metav1.Time`: an instant serialised as RFC 3339 with whole seconds (`2006-01-02T15:04:05Z`).
public struct KubeTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var date: Date

    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String { RFC3339.format(date, fractionDigits: 0) }

    public static func < (lhs: KubeTime, rhs: KubeTime) -> Bool { lhs.date < rhs.date }
}

/// `metav1.MicroTime`: an instant serialised with microseconds (`2006-01-02T15:04:05.000000Z`),
/// used by Leases and events.k8s.io Events.
public struct MicroTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var date: Date

    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String { RFC3339.format(date, fractionDigits: 6) }

    public static func < (lhs: MicroTime, rhs: MicroTime) -> Bool { lhs.date < rhs.date }
}

/// RFC 3339 parsing and formatting in UTC, as Go's `time.RFC3339` / `RFC3339Nano` write them.
enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; nil for anything else.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7),
            bytes[7] == UInt8(ascii: "-"), let day = number(8..<10),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"), let minute = number(14..<16),
            bytes[16] == UInt8(ascii: ":"), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let hours = number(index + 1..<index + 3),
                bytes[index + 3] == UInt8(ascii: ":"), let minutes = number(index + 4..<index + 6)
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        var components = tm()
        components.tm_year = Int32(year - 1900)
        components.tm_mon = Int32(month - 1)
        components.tm_mday = Int32(day)
        components.tm_hour = Int32(hour)
        components.tm_min = Int32(minute)
        components.tm_sec = Int32(second)
        let epochSeconds = timegm(&components)
        return Date(timeIntervalSince1970: Double(epochSeconds - offsetSeconds) + fraction)
    }

    /// Formats in UTC with `fractionDigits` digits of fractional seconds (0 for none, truncated).
    static func format(_ date: Date, fractionDigits: Int) -> String {
        let interval = date.timeIntervalSince1970
        var whole = time_t(interval.rounded(.down))
        var components = tm()
        gmtime_r(&whole, &components)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var result = "\(pad(components.tm_year + 1900, 4))-\(pad(components.tm_mon + 1, 2))-\(pad(components.tm_mday, 2))"
        result += "T\(pad(components.tm_hour, 2)):\(pad(components.tm_min, 2)):\(pad(components.tm_sec, 2))"
        if fractionDigits > 0 {
            var scale = 1.0
            for _ in 0..<fractionDigits { scale *= 10 }
            let fraction = Int32(min(scale - 1, ((interval - Double(whole)) * scale).rounded(.down)))
            result += "." + pad(fraction, fractionDigits)
        }
        return result + "Z"
    }
}

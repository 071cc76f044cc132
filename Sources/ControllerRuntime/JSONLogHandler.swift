public import Foundation
public import Logging
import Synchronization

/// A log handler that writes one JSON object per line (`--log-format json`), in the shape log
/// pipelines expect from controller-runtime's zap logger:
///
/// ```
/// {"ts":"2026-12-05T12:00:00.123Z","level":"info","logger":"external-secrets","msg":"secret updated",
///  "controller":"externalsecret","namespace":"team-a","name":"db","reconcileID":"…","secret":"db"}
/// ```
///
/// `ts` is UTC RFC 3339 with milliseconds; `level` is `trace`, `debug`, `info`, `warn` or `error`
/// (swift-log's `notice` counts as `info`, `critical` as `error`); `logger` is the logger's label;
/// every metadata field follows (the reconcile's own fields first, then the rest sorted by name;
/// an attached `Error` becomes `error`). Nested metadata stays nested (arrays and objects).
///
/// Guarantees: one line per call, written with one `write` (lines of concurrent tasks never
/// interleave); every string is escaped, so a message with quotes or newlines stays one line.
/// Like every handler here it prints only what callers log: callers log key names and object
/// names, never secret values (DESIGN.md invariant 5).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - write: receives each complete line, newline included.
    ///   - now: the wall clock for `ts` (injected so tests are deterministic).
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.now = now
        self.write = write
    }

    /// A handler writing to standard error, as the text handler does.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider?) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider) { line in StandardErrorLines.write(line) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, provided in provided } }
        if let explicit = event.metadata { fields.merge(explicit) { _, explicit in explicit } }
        if let error = event.error { fields["error"] = .string("\(error)") }
        write(Self.line(time: now(), level: event.level, logger: label, message: "\(event.message)", fields: fields))
    }

    /// The fields controller-runtime's logs carry, in its order, before the other metadata.
    static let leadingFields = ["controller", "namespace", "name", "reconcileID"]

    /// One JSON line (pure: tested with fixed inputs).
    static func line(time: Date, level: Logger.Level, logger: String, message: String, fields: Logger.Metadata) -> String {
        var out = "{\"ts\":"
        appendString(timestamp(time), to: &out)
        out += ",\"level\":"
        appendString(levelName(level), to: &out)
        out += ",\"logger\":"
        appendString(logger, to: &out)
        out += ",\"msg\":"
        appendString(message, to: &out)
        let leading = leadingFields.filter { fields[$0] != nil }
        let rest = fields.keys.filter { !leadingFields.contains($0) && !["ts", "level", "logger", "msg"].contains($0) }.sorted()
        for key in leading + rest {
            out += ","
            appendString(key, to: &out)
            out += ":"
            append(fields[key]!, to: &out)
        }
        out += "}\n"
        return out
    }

    /// zap's level names.
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }

    /// UTC, RFC 3339 with milliseconds: `2026-12-05T12:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):"
            + "\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(millis, 3))Z"
    }

    private static func append(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &out)
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                append(element, to: &out)
            }
            out += "]"
        case .dictionary(let entries):
            out += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                append(entries[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped (RFC 8259).
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20 || control.value == 0x7F || (0x2028...0x2029).contains(control.value):
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Standard error, one complete line per `write` call under a lock, so that the lines of
/// concurrent tasks never interleave.
enum StandardErrorLines {
    private static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}

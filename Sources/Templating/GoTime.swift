import Foundation

/// A Go `time.Time` restricted to what templates can build without a time-zone database: an
/// instant plus a fixed UTC offset and zone abbreviation. "Local" is UTC, as in ESO's containers.
public struct GoTime: Sendable, Hashable {
    /// Seconds since the Unix epoch.
    public var seconds: Int64
    /// Nanoseconds within the second, 0..<1_000_000_000.
    public var nanoseconds: Int32
    /// Offset east of UTC, in seconds.
    public var utcOffset: Int32
    /// Zone abbreviation printed for `MST` (empty: printed as a numeric offset).
    public var zone: String

    public init(seconds: Int64, nanoseconds: Int32 = 0, utcOffset: Int32 = 0, zone: String = "UTC") {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.utcOffset = utcOffset
        self.zone = zone
    }

    /// Go's zero time, 0001-01-01 00:00:00 UTC.
    public static let zero = GoTime(seconds: -62_135_596_800)

    /// Civil fields in the time's own offset.
    struct Fields {
        var year: Int64
        var month: Int  // 1...12
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var weekday: Int  // 0 = Sunday
        var yearDay: Int  // 1...366
    }

    var fields: Fields {
        // Wrapping arithmetic: times far outside any calendar (Go wraps there too) must not trap.
        let local = seconds &+ Int64(utcOffset)
        let days = local / 86_400 &- (local % 86_400 < 0 ? 1 : 0)
        let secs = Int(local &- days &* 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        let weekday = Int(((days % 7) &+ 7 &+ 4) % 7)
        let yday = Int(truncatingIfNeeded: days &- Self.days(fromCivil: y, 1, 1)) &+ 1
        return Fields(
            year: y, month: m, day: d, hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60, weekday: weekday,
            yearDay: yday)
    }

    /// Howard Hinnant's days-from-civil algorithm.
    static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year &- 1 : year
        let era = (y >= 0 ? y : y &- 399) / 400
        let yoe = y &- era &* 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 &* mp &+ 2) / 5 &+ Int64(day) &- 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return era &* 146_097 &+ doe &- 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 &+ 719_468
        let era = (z >= 0 ? z : z &- 146_096) / 146_097
        let doe = z &- era &* 146_097
        let yoe = (doe &- doe / 1460 &+ doe / 36_524 &- doe / 146_096) / 365
        let y = yoe &+ era &* 400
        let doy = doe &- (365 &* yoe &+ yoe / 4 &- yoe / 100)
        let mp = (5 &* doy &+ 2) / 153
        let d = Int(truncatingIfNeeded: doy &- (153 &* mp &+ 2) / 5 &+ 1)
        let m = Int(truncatingIfNeeded: mp < 10 ? mp &+ 3 : mp &- 9)
        return (m <= 2 ? y &+ 1 : y, m, d)
    }

    static let longMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]
    static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Go's `Time.String()` (without a monotonic clock reading).
    var goString: String { format("2006-01-02 15:04:05.999999999 -0700 MST") }

    /// Adds a duration in nanoseconds.
    func adding(nanoseconds d: Int64) -> GoTime {
        var t = self
        let total = Int64(nanoseconds) + d % 1_000_000_000
        var s = seconds &+ d / 1_000_000_000
        var n = total
        if n < 0 {
            n += 1_000_000_000
            s &-= 1
        } else if n >= 1_000_000_000 {
            n -= 1_000_000_000
            s &+= 1
        }
        t.seconds = s
        t.nanoseconds = Int32(n)
        return t
    }

    // MARK: - Layouts

    enum Chunk: Equatable {
        case literal(String)
        case longMonth, month, numMonth, zeroMonth, longWeekDay, weekDay, day, underDay, zeroDay, underYearDay
        case zeroYearDay, hour, hour12, zeroHour12, minute, zeroMinute, second, zeroSecond, longYear, year, pm, lowerPM
        case tz, isoTZ(seconds: Bool, colon: Bool, short: Bool), numTZ(seconds: Bool, colon: Bool, short: Bool)
        case fraction(digits: Int, trim: Bool, separator: Character)
    }

    /// Go's `nextStdChunk`, applied to the whole layout.
    static func chunks(_ layout: String) -> [Chunk] {
        let l = Array(layout)
        var out: [Chunk] = []
        var literal = ""
        var i = 0
        func has(_ s: String, at j: Int) -> Bool {
            let a = Array(s)
            return j + a.count <= l.count && Array(l[j..<(j + a.count)]) == a
        }
        func lowerAt(_ j: Int) -> Bool { j < l.count && l[j] >= "a" && l[j] <= "z" }
        func emit(_ c: Chunk, _ width: Int) {
            if !literal.isEmpty {
                out.append(.literal(literal))
                literal = ""
            }
            out.append(c)
            i += width
        }
        while i < l.count {
            let c = l[i]
            switch c {
            case "J":
                if has("January", at: i) {
                    emit(.longMonth, 7)
                    continue
                }
                if has("Jan", at: i) && !lowerAt(i + 3) {
                    emit(.month, 3)
                    continue
                }
            case "M":
                if has("Monday", at: i) {
                    emit(.longWeekDay, 6)
                    continue
                }
                if has("Mon", at: i) && !lowerAt(i + 3) {
                    emit(.weekDay, 3)
                    continue
                }
                if has("MST", at: i) {
                    emit(.tz, 3)
                    continue
                }
            case "0":
                if i + 1 < l.count, let d = l[i + 1].wholeNumberValue, (1...6).contains(d) {
                    emit([.zeroMonth, .zeroDay, .zeroHour12, .zeroMinute, .zeroSecond, .year][d - 1], 2)
                    continue
                }
                if has("002", at: i) {
                    emit(.zeroYearDay, 3)
                    continue
                }
            case "1":
                if has("15", at: i) {
                    emit(.hour, 2)
                    continue
                }
                emit(.numMonth, 1)
                continue
            case "2":
                if has("2006", at: i) {
                    emit(.longYear, 4)
                    continue
                }
                emit(.day, 1)
                continue
            case "_":
                if has("_2", at: i) {
                    if has("_2006", at: i) {
                        literal.append("_")
                        i += 1
                        emit(.longYear, 4)
                        continue
                    }
                    emit(.underDay, 2)
                    continue
                }
                if has("__2", at: i) {
                    emit(.underYearDay, 3)
                    continue
                }
            case "3":
                emit(.hour12, 1)
                continue
            case "4":
                emit(.minute, 1)
                continue
            case "5":
                emit(.second, 1)
                continue
            case "P":
                if has("PM", at: i) {
                    emit(.pm, 2)
                    continue
                }
            case "p":
                if has("pm", at: i) {
                    emit(.lowerPM, 2)
                    continue
                }
            case "-":
                if has("-070000", at: i) {
                    emit(.numTZ(seconds: true, colon: false, short: false), 7)
                    continue
                }
                if has("-07:00:00", at: i) {
                    emit(.numTZ(seconds: true, colon: true, short: false), 9)
                    continue
                }
                if has("-0700", at: i) {
                    emit(.numTZ(seconds: false, colon: false, short: false), 5)
                    continue
                }
                if has("-07:00", at: i) {
                    emit(.numTZ(seconds: false, colon: true, short: false), 6)
                    continue
                }
                if has("-07", at: i) {
                    emit(.numTZ(seconds: false, colon: false, short: true), 3)
                    continue
                }
            case "Z":
                if has("Z070000", at: i) {
                    emit(.isoTZ(seconds: true, colon: false, short: false), 7)
                    continue
                }
                if has("Z07:00:00", at: i) {
                    emit(.isoTZ(seconds: true, colon: true, short: false), 9)
                    continue
                }
                if has("Z0700", at: i) {
                    emit(.isoTZ(seconds: false, colon: false, short: false), 5)
                    continue
                }
                if has("Z07:00", at: i) {
                    emit(.isoTZ(seconds: false, colon: true, short: false), 6)
                    continue
                }
                if has("Z07", at: i) {
                    emit(.isoTZ(seconds: false, colon: false, short: true), 3)
                    continue
                }
            case ".", ",":
                if i + 1 < l.count && (l[i + 1] == "0" || l[i + 1] == "9") {
                    let ch = l[i + 1]
                    var j = i + 1
                    while j < l.count && l[j] == ch { j += 1 }
                    if !(j < l.count && l[j].isASCII && l[j].isNumber) {
                        emit(.fraction(digits: j - (i + 1), trim: ch == "9", separator: c), j - i)
                        continue
                    }
                }
            default:
                break
            }
            literal.append(c)
            i += 1
        }
        if !literal.isEmpty { out.append(.literal(literal)) }
        return out
    }

    private static func pad(_ v: Int64, _ width: Int, _ fill: Character = "0") -> String {
        let s = String(v.magnitude)
        let padded = String(repeating: fill, count: max(0, width - s.count)) + s
        return v < 0 ? "-" + padded : padded
    }

    /// Go's `Time.Format`.
    func format(_ layout: String) -> String {
        var f = fields
        f.month = min(max(f.month, 1), 12)  // only out of range for wrapped, calendar-less instants
        f.weekday = ((f.weekday % 7) + 7) % 7
        var out = ""
        for chunk in Self.chunks(layout) {
            switch chunk {
            case .literal(let s): out += s
            case .year: out += Self.pad(((f.year % 100) + 100) % 100, 2)
            case .longYear: out += Self.pad(f.year, 4)
            case .month: out += String(Self.longMonths[f.month - 1].prefix(3))
            case .longMonth: out += Self.longMonths[f.month - 1]
            case .numMonth: out += String(f.month)
            case .zeroMonth: out += Self.pad(Int64(f.month), 2)
            case .weekDay: out += String(Self.longDays[f.weekday].prefix(3))
            case .longWeekDay: out += Self.longDays[f.weekday]
            case .day: out += String(f.day)
            case .underDay: out += Self.pad(Int64(f.day), 2, " ")
            case .zeroDay: out += Self.pad(Int64(f.day), 2)
            case .underYearDay: out += Self.pad(Int64(f.yearDay), 3, " ")
            case .zeroYearDay: out += Self.pad(Int64(f.yearDay), 3)
            case .hour: out += Self.pad(Int64(f.hour), 2)
            case .hour12: out += String(f.hour % 12 == 0 ? 12 : f.hour % 12)
            case .zeroHour12: out += Self.pad(Int64(f.hour % 12 == 0 ? 12 : f.hour % 12), 2)
            case .minute: out += String(f.minute)
            case .zeroMinute: out += Self.pad(Int64(f.minute), 2)
            case .second: out += String(f.second)
            case .zeroSecond: out += Self.pad(Int64(f.second), 2)
            case .pm: out += f.hour >= 12 ? "PM" : "AM"
            case .lowerPM: out += f.hour >= 12 ? "pm" : "am"
            case .isoTZ(let secs, let colon, let short):
                if utcOffset == 0 {
                    out += "Z"
                } else {
                    out += offsetText(seconds: secs, colon: colon, short: short)
                }
            case .numTZ(let secs, let colon, let short):
                out += offsetText(seconds: secs, colon: colon, short: short)
            case .tz:
                out += zone.isEmpty ? offsetText(seconds: false, colon: false, short: false) : zone
            case .fraction(let digits, let trim, let separator):
                var frac = Self.pad(Int64(nanoseconds), 9)
                frac = String(frac.prefix(digits))
                if trim {
                    while frac.hasSuffix("0") { frac.removeLast() }
                    if !frac.isEmpty { out += String(separator) + frac }
                } else {
                    out += String(separator) + frac
                }
            }
        }
        return out
    }

    private func offsetText(seconds withSeconds: Bool, colon: Bool, short: Bool) -> String {
        var zone = Int(utcOffset)
        var out = zone < 0 ? "-" : "+"
        zone = abs(zone)
        out += Self.pad(Int64(zone / 3600), 2)
        if !short {
            if colon { out += ":" }
            out += Self.pad(Int64(zone % 3600 / 60), 2)
        }
        if withSeconds {
            if colon { out += ":" }
            out += Self.pad(Int64(zone % 60), 2)
        }
        return out
    }

    // MARK: - Parsing

    struct ParseError: Error { var message: String }

    /// Go's `time.Parse` in UTC for the layout elements above (a subset: zone abbreviations other
    /// than UTC/GMT are rejected rather than fabricated).
    static func parse(_ layout: String, _ value: String) throws(ParseError) -> GoTime {
        let v = Array(value)
        var i = 0
        var year: Int64 = 1
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var nanos: Int64 = 0
        var pmSet: Bool? = nil
        var offset: Int? = nil
        var zoneName = "UTC"
        var yday = -1
        func fail() -> ParseError {
            ParseError(message: "parsing time \(goQuote(value)) as \(goQuote(layout)): cannot parse")
        }
        func digits(_ min: Int, _ max: Int) throws(ParseError) -> Int {
            var n = 0
            var count = 0
            while i < v.count, count < max, let d = v[i].wholeNumberValue, v[i].isASCII {
                n = n * 10 + d
                i += 1
                count += 1
            }
            if count < min { throw fail() }
            return n
        }
        func word(_ options: [String]) throws(ParseError) -> Int {
            for (k, o) in options.enumerated() {
                let a = Array(o)
                if i + a.count <= v.count && String(v[i..<(i + a.count)]).lowercased() == o.lowercased() {
                    i += a.count
                    return k
                }
            }
            throw fail()
        }
        func tzOffset(seconds withSeconds: Bool, colon: Bool, short: Bool) throws(ParseError) -> Int {
            guard i < v.count, v[i] == "+" || v[i] == "-" else { throw fail() }
            let sign = v[i] == "-" ? -1 : 1
            i += 1
            let h = try digits(2, 2)
            var m = 0
            var s = 0
            if !short {
                if colon {
                    guard i < v.count, v[i] == ":" else { throw fail() }
                    i += 1
                }
                m = try digits(2, 2)
            }
            if withSeconds {
                if colon {
                    guard i < v.count, v[i] == ":" else { throw fail() }
                    i += 1
                }
                s = try digits(2, 2)
            }
            return sign * (h * 3600 + m * 60 + s)
        }
        for chunk in chunks(layout) {
            switch chunk {
            case .literal(let s):
                for ch in s {
                    guard i < v.count, v[i] == ch else { throw fail() }
                    i += 1
                }
            case .year:
                let y = try digits(2, 2)
                year = Int64(y >= 69 ? 1900 + y : 2000 + y)
            case .longYear: year = Int64(try digits(4, 4))
            case .month: month = try word(longMonths.map { String($0.prefix(3)) }) + 1
            case .longMonth: month = try word(longMonths) + 1
            case .numMonth: month = try digits(1, 2)
            case .zeroMonth: month = try digits(2, 2)
            case .weekDay: _ = try word(longDays.map { String($0.prefix(3)) })
            case .longWeekDay: _ = try word(longDays)
            case .day: day = try digits(1, 2)
            case .underDay:
                if i < v.count && v[i] == " " { i += 1 }
                day = try digits(1, 2)
            case .zeroDay: day = try digits(2, 2)
            case .underYearDay:
                while i < v.count && v[i] == " " { i += 1 }
                yday = try digits(1, 3)
            case .zeroYearDay: yday = try digits(3, 3)
            case .hour: hour = try digits(2, 2)
            case .hour12: hour = try digits(1, 2)
            case .zeroHour12: hour = try digits(2, 2)
            case .minute: minute = try digits(1, 2)
            case .zeroMinute: minute = try digits(2, 2)
            case .second: second = try digits(1, 2)
            case .zeroSecond: second = try digits(2, 2)
            case .pm, .lowerPM: pmSet = try word(["AM", "PM"]) == 1
            case .isoTZ(let secs, let colon, let short):
                if i < v.count && v[i] == "Z" {
                    i += 1
                    offset = 0
                } else {
                    offset = try tzOffset(seconds: secs, colon: colon, short: short)
                }
            case .numTZ(let secs, let colon, let short):
                offset = try tzOffset(seconds: secs, colon: colon, short: short)
            case .tz:
                let k = try word(["UTC", "GMT"])
                zoneName = k == 0 ? "UTC" : "GMT"
                offset = 0
            case .fraction(let n, let trim, _):
                guard i < v.count, v[i] == "." || v[i] == "," else {
                    if trim { continue }
                    throw fail()
                }
                i += 1
                var digitsText = ""
                while i < v.count, v[i].isASCII, v[i].isNumber {
                    digitsText.append(v[i])
                    i += 1
                }
                if digitsText.isEmpty || (!trim && digitsText.count != n) { throw fail() }
                nanos = Int64((digitsText + "000000000").prefix(9))!
            }
            // Go also accepts fractional seconds after a seconds field when the layout has none.
            if chunk == .zeroSecond || chunk == .second, i + 1 < v.count, v[i] == "." || v[i] == ",",
                v[i + 1].isASCII, v[i + 1].isNumber
            {
                let nextIsFraction = chunks(layout).drop { $0 != chunk }.dropFirst().first.map {
                    if case .fraction = $0 { return true }
                    return false
                }
                if nextIsFraction != true {
                    i += 1
                    var digitsText = ""
                    while i < v.count, v[i].isASCII, v[i].isNumber {
                        digitsText.append(v[i])
                        i += 1
                    }
                    nanos = Int64((digitsText + "000000000").prefix(9))!
                }
            }
        }
        if i != v.count {
            throw ParseError(message: "parsing time \(goQuote(value)): extra text: \(goQuote(String(v[i...])))")
        }
        if let pm = pmSet {
            guard hour >= 1 && hour <= 12 else { throw fail() }
            if pm && hour < 12 { hour += 12 } else if !pm && hour == 12 { hour = 0 }
        }
        if yday >= 0 {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            guard yday >= 1 && yday <= (leap ? 366 : 365) else { throw fail() }
            let d = days(fromCivil: year, 1, 1) + Int64(yday - 1)
            (_, month, day) = civil(fromDays: d)
        }
        guard (1...12).contains(month), hour < 24, minute < 60, second < 60 else {
            throw ParseError(message: "parsing time \(goQuote(value)): field out of range")
        }
        let monthDays = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        guard day >= 1, day <= monthDays, !(month == 2 && day == 29 && !leap) else {
            throw ParseError(message: "parsing time \(goQuote(value)): day out of range")
        }
        let off = offset ?? 0
        let secs = days(fromCivil: year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(off)
        let zone = offset == nil || off == 0 ? zoneName : ""
        return GoTime(seconds: secs, nanoseconds: Int32(nanos), utcOffset: Int32(off), zone: zone)
    }
}

extension GoTime {
    /// The wall clock, in UTC. Only `RenderEnvironment.system` calls this.
    static func systemNow() -> GoTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return GoTime(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }
}

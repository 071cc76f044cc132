import GoCompat
extension Sprig {
    /// sprig's date functions over `GoTime`. "Local" is UTC (ESO's containers run in UTC); named
    /// zones other than UTC need a time-zone database and are rejected. `now`, `ago` and dates of
    /// non-time values read the clock injected through `RenderEnvironment`.
    static func registerDates(into lib: inout FunctionLibrary) {
        lib.add("now", []) { _, ctx in .time(try ctx.currentTime()) }
        let dateInZone: @Sendable ([Value], FunctionContext) throws -> Value = { a, ctx in
            .string(try zoned(try timeArg(a[1], ctx), a[2].stringValue).format(a[0].stringValue))
        }
        lib.add("dateInZone", [.string, .any, .string], dateInZone)
        lib.add("date_in_zone", [.string, .any, .string], dateInZone)
        lib.add("date", [.string, .any]) { a, ctx in try dateInZone([a[0], a[1], .string("Local")], ctx) }
        lib.add("htmlDate", [.any]) { a, ctx in try dateInZone([.string("2006-01-02"), a[0], .string("Local")], ctx) }
        lib.add("htmlDateInZone", [.any, .string]) { a, ctx in
            try dateInZone([.string("2006-01-02"), a[0], a[1]], ctx)
        }
        let dateModify: @Sendable ([Value], FunctionContext) throws -> Value = { a, _ in
            guard case .time(let t) = a[1] else { return a[1] }
            guard let d = GoDuration.parseNanoseconds(a[0].stringValue) else { return a[1] }
            return .time(t.adding(nanoseconds: d))
        }
        lib.add("dateModify", [.string, .time], dateModify)
        lib.add("date_modify", [.string, .time], dateModify)
        let mustDateModify: @Sendable ([Value], FunctionContext) throws -> Value = { a, _ in
            guard case .time(let t) = a[1] else { return a[1] }
            guard let d = GoDuration.parseNanoseconds(a[0].stringValue) else {
                throw TemplateFunctionError("time: invalid duration \(goQuote(a[0].stringValue))")
            }
            return .time(t.adding(nanoseconds: d))
        }
        lib.add("mustDateModify", [.string, .time], mustDateModify)
        lib.add("must_date_modify", [.string, .time], mustDateModify)
        lib.add("toDate", [.string, .string]) { a, _ in
            .time((try? GoTime.parse(a[0].stringValue, a[1].stringValue)) ?? .zero)
        }
        lib.add("mustToDate", [.string, .string]) { a, _ in
            do throws(GoTime.ParseError) {
                return .time(try GoTime.parse(a[0].stringValue, a[1].stringValue))
            } catch {
                throw TemplateFunctionError(error.message)
            }
        }
        lib.add("unixEpoch", [.time]) { a, _ in
            guard case .time(let t) = a[0] else { return .string("") }
            return .string(String(t.seconds))
        }
        lib.add("ago", [.any]) { a, ctx in
            let now = try ctx.currentTime()
            let t: GoTime
            switch a[0] {
            case .time(let x): t = x
            case .int(let i, .int), .int(let i, .int64): t = GoTime(seconds: i)
            default: t = now
            }
            let (secs, o1) = (now.seconds).subtractingReportingOverflow(t.seconds)
            let (ns, o2) = secs.multipliedReportingOverflow(by: 1_000_000_000)
            let (d, o3) = ns.addingReportingOverflow(Int64(now.nanoseconds) - Int64(t.nanoseconds))
            let duration = o1 || o2 || o3 ? (secs < 0 ? Int64.min : Int64.max) : d
            return .string(GoDuration.string(nanoseconds: roundToSecond(duration)))
        }
    }

    /// sprig's `dateInZone` argument handling: times, Unix seconds (int, int64), else now.
    static func timeArg(_ v: Value, _ ctx: FunctionContext) throws -> GoTime {
        switch v {
        case .time(let t): t
        case .int(let i, .int), .int(let i, .int64): GoTime(seconds: i)
        default: try ctx.currentTime()
        }
    }

    static func zoned(_ t: GoTime, _ zone: String) throws -> GoTime {
        switch zone {
        case "", "UTC", "Local":
            var u = t
            u.utcOffset = 0
            u.zone = "UTC"
            return u
        default:
            throw TemplateFunctionError("time zone \(goQuote(zone)) is not available (no time-zone database)")
        }
    }

    /// Go's `Duration.Round(time.Second)`.
    static func roundToSecond(_ d: Int64) -> Int64 {
        let m: Int64 = 1_000_000_000
        var r = d % m
        if d < 0 {
            r = -r
            if r + r < m { return d + r }
            let (d1, o) = d.subtractingReportingOverflow(m - r)
            return o ? Int64.min : d1
        }
        if r + r < m { return d - r }
        let (d1, o) = d.addingReportingOverflow(m - r)
        return o ? Int64.max : d1
    }
}

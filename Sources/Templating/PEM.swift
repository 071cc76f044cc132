import GoCompat
/// One PEM block, as Go's `encoding/pem` reads and writes it.
struct PEMBlock: Sendable, Equatable {
    var type: String
    var headers: [String: String] = [:]
    var bytes: [UInt8]

    // MARK: Decoding

    /// Go's `pem.Decode`: the first well-formed block in `data` and the input after it, or nil and
    /// all of `data`. Malformed candidates are skipped, as in Go; text around blocks is ignored
    /// as long as every `-----BEGIN` starts a line.
    ///
    /// Caveat: this is Go 1.19's algorithm. Go 1.25.3 rewrote it for linear time; both agree on
    /// inputs whose blocks are well formed, which is why ESO trims text before the first block.
    /// Here it stays linear too: the next END line is searched once, not once per candidate, and a
    /// candidate's base64 is abandoned at its first impossible byte.
    static func decode(_ data: ArraySlice<UInt8>) -> (block: PEMBlock?, rest: ArraySlice<UInt8>) {
        let pemStart = Array("\n-----BEGIN ".utf8)
        let pemEnd = Array("\n-----END ".utf8)
        let dashes = Array("-----".utf8)
        var rest = data
        // The first END line at or after the last searched position; candidates only move forward.
        var knownEnd: Range<Int>? = nil
        while true {
            if rest.starts(with: pemStart.dropFirst()) {
                rest = rest.dropFirst(pemStart.count - 1)
            } else if let r = rest.firstRange(of: pemStart) {
                rest = rest[r.upperBound...]
            } else {
                return (nil, data)
            }
            var typeLine: ArraySlice<UInt8>
            (typeLine, rest) = getLine(rest)
            guard typeLine.hasSuffix(dashes) else { continue }
            typeLine = typeLine.dropLast(dashes.count)

            var headers: [String: String] = [:]
            while true {
                if rest.isEmpty { return (nil, data) }
                let (line, next) = getLine(rest)
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { break }
                let key = trimSpace(line[..<colon])
                let value = trimSpace(line[(colon + 1)...])
                headers[String(goBytes: key)] = String(goBytes: value)
                rest = next
            }

            var endIndex: Int
            var endTrailerIndex: Int
            if headers.isEmpty && rest.starts(with: pemEnd.dropFirst()) {
                endIndex = rest.startIndex
                endTrailerIndex = rest.startIndex + pemEnd.count - 1
            } else {
                if knownEnd.map({ $0.lowerBound < rest.startIndex }) ?? true {
                    knownEnd = rest.firstRange(of: pemEnd)
                }
                // Without an END line no later candidate can succeed either.
                guard let r = knownEnd else { return (nil, data) }
                endIndex = r.lowerBound
                endTrailerIndex = r.upperBound
            }
            var endTrailer = rest[endTrailerIndex...]
            let endTrailerLength = typeLine.count + dashes.count
            guard endTrailer.count >= endTrailerLength else { continue }
            let restOfEndLine = endTrailer.dropFirst(endTrailerLength)
            endTrailer = endTrailer.prefix(endTrailerLength)
            guard endTrailer.starts(with: typeLine), endTrailer.hasSuffix(dashes) else { continue }
            guard getLine(restOfEndLine).line.isEmpty else { continue }

            let region = rest[rest.startIndex..<endIndex]
            guard region.allSatisfy(isBase64OrSpace) else { continue }
            guard let bytes = decodeBase64IgnoringNewlines(region.filter { $0 != 0x20 && $0 != 0x09 }) else { continue }
            let after = getLine(rest[(endIndex + pemEnd.count - 1)...]).rest
            return (PEMBlock(type: String(goBytes: typeLine), headers: headers, bytes: bytes), after)
        }
    }

    /// Every block `decode` finds, in order, and what is left after the last one.
    static func decodeAll(_ data: [UInt8]) -> (blocks: [PEMBlock], rest: ArraySlice<UInt8>) {
        var blocks: [PEMBlock] = []
        var rest = data[...]
        while true {
            let (block, next) = decode(rest)
            guard let block else { return (blocks, next) }
            blocks.append(block)
            rest = next
        }
    }

    /// Go's `getLine`: the first line without its line ending and trailing spaces and tabs, and
    /// the input after the line ending.
    private static func getLine(_ data: ArraySlice<UInt8>) -> (line: ArraySlice<UInt8>, rest: ArraySlice<UInt8>) {
        var lineEnd: Int
        var restStart: Int
        if let i = data.firstIndex(of: 0x0A) {
            lineEnd = i
            restStart = i + 1
            if i > data.startIndex && data[i - 1] == 0x0D { lineEnd = i - 1 }
        } else {
            lineEnd = data.endIndex
            restStart = data.endIndex
        }
        var line = data[data.startIndex..<lineEnd]
        while let last = line.last, last == 0x20 || last == 0x09 { line = line.dropLast() }
        return (line, data[restStart...])
    }

    /// `bytes.TrimSpace` for ASCII white space.
    private static func trimSpace(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        var t = s
        while let f = t.first, isSpace(f) { t = t.dropFirst() }
        while let l = t.last, isSpace(l) { t = t.dropLast() }
        return t
    }

    /// Bytes that may appear in a PEM body; any other byte makes Go's decoder fail.
    private static func isBase64OrSpace(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), 0x20, 0x09,
            0x0A, 0x0D:
            true
        default: false
        }
    }

    /// Go's `base64.StdEncoding.Decode`, which skips `\r` and `\n`; nil on malformed input.
    private static func decodeBase64IgnoringNewlines(_ data: [UInt8]) -> [UInt8]? {
        let cleaned = data.filter { $0 != 0x0A && $0 != 0x0D }
        guard case .success(let bytes) = Sprig.base64Decode(String(decoding: cleaned, as: UTF8.self)) else {
            return nil
        }
        return bytes
    }

    // MARK: Encoding

    /// Go's `pem.Encode`: headers (`Proc-Type` first, then sorted), base64 in 64-column lines.
    var encoded: String {
        var out = "-----BEGIN " + type + "-----\n"
        if !headers.isEmpty {
            if let procType = headers["Proc-Type"] { out += "Proc-Type: " + procType + "\n" }
            for key in headers.keys.sorted(by: { $0.goLess($1) }) where key != "Proc-Type" {
                out += key + ": " + headers[key]! + "\n"
            }
            out += "\n"
        }
        let text = Array(GoBase64.encode(bytes).utf8)
        var i = 0
        while i < text.count {
            out += String(decoding: text[i..<min(i + 64, text.count)], as: UTF8.self) + "\n"
            i += 64
        }
        return out + "-----END " + type + "-----\n"
    }

    /// `pem.EncodeToMemory` of a block without headers.
    static func encode(type: String, _ bytes: [UInt8]) -> String {
        PEMBlock(type: type, bytes: bytes).encoded
    }
}

extension ArraySlice where Element == UInt8 {
    fileprivate func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && self.suffix(suffix.count).elementsEqual(suffix)
    }
}

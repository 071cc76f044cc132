import Foundation
import SwiftASN1
import X509

/// ESO's PEM helpers: `filterPEM`, `filterCertChain` and `certSANs`.
enum ESO {
    static func registerPEM(into lib: inout FunctionLibrary) {
        lib.add("filterPEM", [.string, .string]) { a, _ in
            .string(try filterPEM(type: a[0].stringValue, a[1].stringValue))
        }
        lib.add("filterCertChain", [.string, .string]) { a, _ in
            .string(try filterCertChain(a[0].stringValue, a[1].stringValue))
        }
        lib.add("certSANs", [.string]) { a, _ in .strings(try certSANs(a[0].stringValue)) }
    }

    /// ESO's `trimJunk`: drops everything before the first `-----BEGIN`, which Go's `pem.Decode`
    /// skipped before Go 1.25.3.
    static func trimJunk(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        guard let r = bytes.firstRange(of: Array("-----BEGIN".utf8)) else { return bytes[...] }
        return bytes[r.lowerBound...]
    }

    /// The blocks whose type matches `type` (case-insensitively), re-encoded, in input order.
    static func filterPEM(type: String, _ input: String) throws -> String {
        var data = trimJunk(input.goBytes)
        var out = ""
        var rest = data
        while true {
            let (block, next) = PEMBlock.decode(data)
            rest = next
            data = next
            guard let block else { break }
            if block.type.lowercased() == type.lowercased() { out += block.encoded }
        }
        if out.isEmpty && !rest.isEmpty { throw TemplateFunctionError("error filtering pem: found junk") }
        return out
    }

    // MARK: - Certificate chains

    /// A parsed certificate with what chain ordering needs.
    struct ChainCertificate {
        var raw: [UInt8]
        /// nil when the certificate has no authority key identifier.
        var authorityKeyID: [UInt8]?
        var subjectKeyID: [UInt8]?
        var certificate: Certificate

        init(der: [UInt8]) throws {
            let certificate = try Certificate(derEncoded: der)
            self.raw = der
            self.certificate = certificate
            self.authorityKeyID = (try certificate.extensions.authorityKeyIdentifier?.keyIdentifier).map(Array.init)
            self.subjectKeyID = (try certificate.extensions.subjectKeyIdentifier?.keyIdentifier).map(Array.init)
        }

        /// ESO's `isRootCertificate`: no authority key, or one equal to its own subject key.
        var isRoot: Bool { authorityKeyID == nil || authorityKeyID == (subjectKeyID ?? []) }

        var pem: String { PEMBlock.encode(type: "CERTIFICATE", raw) }
    }

    /// ESO's `fetchX509CertChains` (from the Azure Key Vault CSI provider): orders the PEM
    /// certificates in `data` leaf first, each followed by the one whose subject key identifier is
    /// its authority key identifier. Nothing is verified: this only orders.
    static func orderChain(_ data: [UInt8]) throws -> [ChainCertificate] {
        var certs: [ChainCertificate] = []
        for block in PEMBlock.decodeAll(data).blocks {
            do {
                certs.append(try ChainCertificate(der: block.bytes))
            } catch {
                throw TemplateFunctionError("x509: malformed certificate: \(error)")
            }
        }
        var parent = [Int?](repeating: nil, count: certs.count)
        var isParent = [Bool](repeating: false, count: certs.count)
        for i in certs.indices {
            // Go's bytes.Equal: a missing identifier equals an empty one.
            for j in certs.indices where i != j && (certs[i].authorityKeyID ?? []) == (certs[j].subjectKeyID ?? []) {
                isParent[j] = true
                parent[i] = j
                break
            }
        }
        var leaf: Int? = nil
        for i in certs.indices where !isParent[i] {
            if leaf != nil { throw TemplateFunctionError("found multiple leaf or disjunct certificates") }
            leaf = i
        }
        guard var current = leaf else { throw TemplateFunctionError("no leaf certificate found") }
        var ordered: [ChainCertificate] = []
        while true {
            if ordered.count == certs.count { throw TemplateFunctionError("constructing chain resulted in cycle") }
            ordered.append(certs[current])
            guard let next = parent[current] else { break }
            current = next
        }
        return ordered
    }

    /// ESO's `filterCertChain`: the `leaf`, the `intermediate`s or the `root` of a chain.
    static func filterCertChain(_ type: String, _ input: String) throws -> String {
        let ordered = try orderChain(input.goBytes)
        switch type {
        case "leaf":
            let cert = ordered[0]
            if cert.authorityKeyID != nil && cert.authorityKeyID != (cert.subjectKeyID ?? []) { return cert.pem }
        case "intermediate":
            return ordered.dropFirst().prefix { !$0.isRoot }.map(\.pem).joined()
        case "root":
            if let cert = ordered.last, cert.isRoot { return cert.pem }
        default:
            break
        }
        return ""
    }

    // MARK: - SANs

    /// ESO's `certSANs`: the DNS names, IP addresses, email addresses and URIs of the first PEM
    /// block's certificate, in that order.
    static func certSANs(_ input: String) throws -> [String] {
        guard let block = PEMBlock.decode(trimJunk(input.goBytes)).block else {
            throw TemplateFunctionError("failed to decode PEM block")
        }
        let names: [GeneralName]
        do {
            names = try Certificate(derEncoded: block.bytes).extensions.subjectAlternativeNames.map(Array.init) ?? []
        } catch {
            throw TemplateFunctionError("failed to parse certificate: \(error)")
        }
        var dns: [String] = []
        var ips: [String] = []
        var emails: [String] = []
        var uris: [String] = []
        for name in names {
            switch name {
            case .dnsName(let s): dns.append(s)
            case .ipAddress(let bytes): ips.append(goIPString(Array(bytes.bytes)))
            case .rfc822Name(let s): emails.append(s)
            case .uniformResourceIdentifier(let s):
                do {
                    uris.append(try GoURL.parse(s).string)
                } catch {
                    throw TemplateFunctionError("failed to parse certificate: x509: cannot parse URI \(goQuote(s))")
                }
            default: break
            }
        }
        return dns + ips + emails + uris
    }

    /// Go's `net.IP.String`: dotted IPv4 (also for IPv4-mapped IPv6), RFC 5952 IPv6.
    static func goIPString(_ ip: [UInt8]) -> String {
        if ip.count == 4 { return ip.map(String.init).joined(separator: ".") }
        guard ip.count == 16 else { return "?" + ip.map { String(format: "%02x", $0) }.joined() }
        if ip[0..<10].allSatisfy({ $0 == 0 }) && ip[10] == 0xFF && ip[11] == 0xFF {
            return ip[12...].map(String.init).joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(ip[2 * $0]) << 8 | UInt16(ip[2 * $0 + 1]) }
        // The first longest run of at least two zero groups becomes "::".
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            var j = i
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - i > bestLength {
                bestStart = i
                bestLength = j - i
            }
            i = j == i ? i + 1 : j
        }
        var out = ""
        var k = 0
        while k < 8 {
            if k == bestStart {
                out += "::"
                k += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[k], radix: 16)
            k += 1
        }
        return out
    }
}

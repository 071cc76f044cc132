import Foundation
import GoCompat
import SwiftASN1
import X509

extension ESO {
    /// ESO's PKCS #12 functions. Inputs and outputs as in ESO: archives are read from the raw
    /// bytes of a string and written base64-encoded; the `...Pass` readers take the password first,
    /// the writers last. Writing draws salts and IVs from the render's random source.
    static func registerPKCS12(into lib: inout FunctionLibrary) {
        lib.add("pkcs12key", [.string]) { a, _ in .string(try pkcs12Key(password: "", a[0].stringValue)) }
        lib.add("pkcs12keyPass", [.string, .string]) { a, _ in
            .string(try pkcs12Key(password: a[0].stringValue, a[1].stringValue))
        }
        lib.add("pkcs12cert", [.string]) { a, _ in .string(try pkcs12Certificates(password: "", a[0].stringValue)) }
        lib.add("pkcs12certPass", [.string, .string]) { a, _ in
            .string(try pkcs12Certificates(password: a[0].stringValue, a[1].stringValue))
        }
        lib.add("pemToPkcs12", [.string, .string]) { a, ctx in
            .string(try pemToPKCS12(a[0].stringValue, key: a[1].stringValue, password: "", chain: false, ctx))
        }
        lib.add("pemToPkcs12Pass", [.string, .string, .string]) { a, ctx in
            .string(
                try pemToPKCS12(a[0].stringValue, key: a[1].stringValue, password: a[2].stringValue, chain: false, ctx))
        }
        lib.add("fullPemToPkcs12", [.string, .string]) { a, ctx in
            .string(try pemToPKCS12(a[0].stringValue, key: a[1].stringValue, password: "", chain: true, ctx))
        }
        lib.add("fullPemToPkcs12Pass", [.string, .string, .string]) { a, ctx in
            .string(
                try pemToPKCS12(a[0].stringValue, key: a[1].stringValue, password: a[2].stringValue, chain: true, ctx))
        }
        lib.add("pemTruststoreToPKCS12", [.string]) { a, ctx in
            .string(try truststoreToPKCS12(a[0].stringValue, password: "", ctx))
        }
        lib.add("pemTruststoreToPKCS12Pass", [.string, .string]) { a, ctx in
            .string(try truststoreToPKCS12(a[0].stringValue, password: a[1].stringValue, ctx))
        }
    }

    /// Go's message when ESO dereferences the nil block `pem.Decode` returns for non-PEM input.
    static let nilDereference = TemplateFunctionError(
        "runtime error: invalid memory address or nil pointer dereference")

    /// `pkcs12keyPass`: the archive's private key as PKCS #8 PEM.
    static func pkcs12Key(password: String, _ input: String) throws -> String {
        do {
            let decoded = try PKCS12.decodeChain(input.goBytes, password: password)
            return PEMBlock.encode(type: "PRIVATE KEY", decoded.key.pkcs8DER)
        } catch {
            throw TemplateFunctionError("unable to decode pkcs12 with password: " + error.message)
        }
    }

    /// `pkcs12certPass`: the archive's certificates as PEM, ordered leaf to root when they form
    /// one chain, else in archive order.
    static func pkcs12Certificates(password: String, _ input: String) throws -> String {
        let decoded: PKCS12.Decoded
        do {
            decoded = try PKCS12.decodeChain(input.goBytes, password: password)
        } catch {
            throw TemplateFunctionError("unable to decode pkcs12 certificate with password: " + error.message)
        }
        let pem = ([decoded.certificate] + decoded.caCertificates).map { PEMBlock.encode(type: "CERTIFICATE", $0) }
            .joined()
        guard let ordered = try? orderChain(pem.goBytes) else { return pem }
        return ordered.map(\.pem).joined()
    }

    /// ESO's `parseCaCerts`: every PEM block to the end of the input must be a certificate.
    static func parseCertificates(_ data: ArraySlice<UInt8>) throws -> [(der: [UInt8], certificate: Certificate)] {
        var certs: [(der: [UInt8], certificate: Certificate)] = []
        var rest = data
        while !rest.isEmpty {
            let (block, next) = PEMBlock.decode(rest)
            guard let block else { throw nilDereference }
            rest = next
            certs.append((block.bytes, try parseCertificate(block.bytes)))
        }
        return certs
    }

    static func parseCertificate(_ der: [UInt8]) throws -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw TemplateFunctionError("x509: malformed certificate: \(error)")
        }
    }

    /// `pemToPkcs12Pass` (the first certificate only) and `fullPemToPkcs12Pass` (with the
    /// certificates after it as CA certificates): base64 of a new archive.
    static func pemToPKCS12(_ cert: String, key: String, password: String, chain: Bool, _ ctx: FunctionContext)
        throws -> String
    {
        let (block, rest) = PEMBlock.decode(cert.goBytes[...])
        guard let block else { throw nilDereference }
        _ = try parseCertificate(block.bytes)
        let caCertificates = chain ? try parseCertificates(rest).map(\.der) : []
        guard let keyBlock = PEMBlock.decode(key.goBytes[...]).block else { throw nilDereference }
        let privateKey: GoPrivateKey
        do {
            privateKey = try GoPrivateKey.parseESO(keyBlock.bytes)
        } catch {
            throw TemplateFunctionError(error.message)
        }
        let pfx = try PKCS12.encode(
            key: privateKey, certificate: block.bytes, caCertificates: caCertificates, password: password,
            random: { try ctx.random($0) })
        return GoBase64.encode(pfx)
    }

    /// `pemTruststoreToPKCS12Pass`: base64 of a Java trust store holding every certificate.
    static func truststoreToPKCS12(_ certs: String, password: String, _ ctx: FunctionContext) throws -> String {
        let entries = try parseCertificates(certs.goBytes[...]).map { ($0.der, goNameString($0.certificate.subject)) }
        return GoBase64.encode(try PKCS12.encodeTrustStore(entries, password: password, random: { try ctx.random($0) }))
    }

    /// Go's `pkix.Name.String()` for the common attributes: RFC 2253 order (the reverse of Go's
    /// C, O, OU, L, ST, STREET, POSTALCODE, SERIALNUMBER, CN), values of one type joined by `+`,
    /// other attributes by dotted OID after them. go-pkcs12 uses it as the friendly name.
    static func goNameString(_ name: DistinguishedName) -> String {
        let standard: [(ASN1ObjectIdentifier, String)] = [
            ([2, 5, 4, 6], "C"), ([2, 5, 4, 10], "O"), ([2, 5, 4, 11], "OU"), ([2, 5, 4, 7], "L"),
            ([2, 5, 4, 8], "ST"),
            ([2, 5, 4, 9], "STREET"), ([2, 5, 4, 17], "POSTALCODE"), ([2, 5, 4, 5], "SERIALNUMBER"),
            ([2, 5, 4, 3], "CN"),
        ]
        let attributes = name.flatMap { $0 }
        func value(_ a: RelativeDistinguishedName.Attribute) -> String {
            if let s = String(a.value) { return escapeDN(s) }
            var serializer = DER.Serializer()
            try? serializer.serialize(ASN1Any(a.value))
            return "#" + serializer.serializedBytes.map { String(format: "%02x", $0) }.joined()
        }
        // Go's sequence: other attributes first, each alone, then the standard ones by type.
        var rdns: [String] = attributes.filter { a in !standard.contains { $0.0 == a.type } }.map {
            "\($0.type)=" + value($0)
        }
        for (oid, label) in standard {
            let values = attributes.filter { $0.type == oid }
            if !values.isEmpty { rdns.append(values.map { label + "=" + value($0) }.joined(separator: "+")) }
        }
        return rdns.reversed().joined(separator: ",")
    }

    /// RFC 2253 escaping as Go's `RDNSequence.String` does it.
    static func escapeDN(_ s: String) -> String {
        let chars = Array(s.unicodeScalars)
        var out = ""
        for (i, c) in chars.enumerated() {
            if ",+\"\\<>;".unicodeScalars.contains(c) || (i == 0 && (c == " " || c == "#"))
                || (i == chars.count - 1 && c == " ")
            {
                out += "\\"
            }
            out.unicodeScalars.append(c)
        }
        return out
    }
}

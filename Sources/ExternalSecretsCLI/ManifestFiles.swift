import ExternalSecretsAPI
import Foundation
import KubeModel

/// One object read from the files given with `-f`: where it came from and its content.
struct ManifestDocument {
    var source: String
    /// 1-based position in its file; the items of a `List` are counted as documents.
    var document: Int
    var object: JSONValue
}

/// A file `-f` names that cannot be read or parsed.
struct ManifestFileError: Error, CustomStringConvertible {
    var source: String
    var reason: String
    var description: String { "\(source): \(reason)" }
}

/// Reads manifests as `kubectl apply -f` does: a file, every `.yaml` / `.yml` / `.json` file of a
/// directory and its subdirectories (in name order), or `-` for standard input; several YAML
/// documents per file; the items of a `v1` `List`.
enum ManifestFiles {
    static func read(_ paths: [String]) throws -> [ManifestDocument] {
        var documents: [ManifestDocument] = []
        for path in paths {
            for file in try files(at: path) {
                documents += try parse(try contents(of: file), source: file)
            }
        }
        return documents
    }

    static func files(at path: String) throws -> [String] {
        if path == "-" { return ["-"] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestFileError(source: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let base = URL(fileURLWithPath: path)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var found: [String] = []
        for case let url as URL in walker where ["yaml", "yml", "json"].contains(url.pathExtension.lowercased()) {
            found.append(path.hasSuffix("/") ? path + url.path.dropFirst(base.path.count + 1) : path + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return found.sorted()
    }

    static func contents(of file: String) throws -> String {
        if file == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ManifestFileError(source: file, reason: "cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func parse(_ text: String, source: String) throws -> [ManifestDocument] {
        let parsed: [JSONValue]
        do {
            parsed = try ManifestYAML.parse(text)
        } catch {
            throw ManifestFileError(source: source, reason: "not valid YAML: \(error)")
        }
        var documents: [ManifestDocument] = []
        for value in parsed {
            if value["kind"]?.stringValue == "List", let items = value["items"]?.arrayValue {
                for item in items { documents.append(ManifestDocument(source: source, document: documents.count + 1, object: item)) }
            } else {
                documents.append(ManifestDocument(source: source, document: documents.count + 1, object: value))
            }
        }
        return documents
    }
}

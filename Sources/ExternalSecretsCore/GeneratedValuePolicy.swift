import ExternalSecretsAPI
public import ProviderKit

/// What an ExternalSecret asks of its generated values beyond ESO, by annotation (both off by
/// default, so ESO's manifests behave as in ESO):
///
/// - `generators.external-secrets.io/keep-existing: "true"` (ESO#5782): a generated key the
///   target Secret already has keeps its current value; generated values only fill keys that are
///   absent. A generation none of whose keys is used is discarded (its state, if any, is cleaned
///   up at once), so the credential in use stays the live one.
/// - `generators.external-secrets.io/previous-key-suffix: "<suffix>"` (ESO#6911): when a
///   generated key gets a new value, its value before this sync is kept under `<key><suffix>`,
///   so consumers that accept two values (session secrets, token signing keys) roll over
///   without downtime; the earlier previous value is dropped.
///
/// Keys are compared with the target Secret's keys as they are (after any template).
public struct GeneratedValuePolicy: Sendable, Equatable {
    public static let keepExistingAnnotation = "generators.external-secrets.io/keep-existing"
    public static let previousKeySuffixAnnotation = "generators.external-secrets.io/previous-key-suffix"

    public var keepExisting: Bool
    public var previousKeySuffix: String?

    public init(keepExisting: Bool = false, previousKeySuffix: String? = nil) {
        self.keepExisting = keepExisting
        self.previousKeySuffix = previousKeySuffix
    }

    /// The policy `annotations` ask for; a suffix that cannot end a Secret key is refused.
    public init(annotations: [String: String]?) throws(InvalidSpec) {
        let annotations = annotations ?? [:]
        keepExisting = annotations[Self.keepExistingAnnotation] == "true"
        previousKeySuffix = nil
        if let suffix = annotations[Self.previousKeySuffixAnnotation] {
            guard !suffix.isEmpty, suffix.utf8.allSatisfy(Self.isKeyByte) else {
                throw InvalidSpec(
                    "annotation \(Self.previousKeySuffixAnnotation) must be characters of a Secret key (letters, digits, '-', '_', '.')"
                )
            }
            previousKeySuffix = suffix
        }
    }

    /// Whether the policy changes anything.
    public var isActive: Bool { keepExisting || previousKeySuffix != nil }

    /// What applying the policy gives: the data to write, and the `dataFrom` indices of
    /// generator entries none of whose values is written.
    public struct Outcome: Sendable, Equatable {
        public var data: SecretData
        public var unusedGenerations: Set<Int>
    }

    /// Applies the policy to `fetched`, given the target Secret's `current` data (nil: no
    /// target yet).
    public func apply(to fetched: FetchResult, current: SecretData?) -> Outcome {
        var data = fetched.data
        var used: Set<Int> = []
        var generating: Set<Int> = []
        for (key, index) in fetched.generatedKeys {
            generating.insert(index)
            if keepExisting, let existing = current?[key] {
                data[key] = existing
            } else {
                used.insert(index)
            }
        }
        if let suffix = previousKeySuffix {
            for key in fetched.generatedKeys.keys {
                let previousKey = key + suffix
                if let before = current?[key], before != data[key] {
                    data[previousKey] = before
                } else if let kept = current?[previousKey], data[previousKey] == nil {
                    data[previousKey] = kept
                }
            }
        }
        return Outcome(data: data, unusedGenerations: generating.subtracting(used))
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }
}

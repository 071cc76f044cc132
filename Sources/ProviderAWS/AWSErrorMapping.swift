import ExternalSecretsAPI
import Foundation
import GoCompat
import ProviderKit

/// Turns failures of AWS calls into `ProviderError`s whose messages say what happened in words a
/// person understands, naming the service, the operation and the remote key, never a value, a
/// credential or a signature.
struct AWSErrorMapper: Sendable {
    /// `Secrets Manager` or `Parameter Store`.
    var serviceName: String
    var region: String
    /// The IAM action prefix (`secretsmanager`, `ssm`), named when a PushSecret call is denied.
    var iamPrefix: String? = nil
    /// Whose credentials AWS refused, in messages: `the store's` or `the generator's`.
    var credentialsOwner = "the store's"

    /// The calls PushSecret makes that read-only credentials may not: a denial names the IAM
    /// permission to grant.
    static let writeOperations: Set<String> = [
        "CreateSecret", "PutSecretValue", "DeleteSecret", "RestoreSecret", "TagResource", "UntagResource",
        "ReplicateSecretToRegions", "RemoveRegionsFromReplication", "PutParameter", "DeleteParameter",
        "AddTagsToResource", "RemoveTagsFromResource",
    ]

    /// - Parameters:
    ///   - notFoundCodes: codes that mean the remote secret does not exist (only for reads of one
    ///     named secret; everything else is never `notFound`).
    func map(_ error: any Error, operation: String, key: String?, notFoundCodes: Set<String> = []) -> any Error {
        let subject = key.map { "\(operation) \"\($0)\"" } ?? operation
        switch error {
        case is CancellationError, is ProviderError:
            return error
        case let error as AWSServiceError:
            if notFoundCodes.contains(error.code) {
                return ProviderError.notFound(
                    "\(serviceName): \(key.map { "\"\($0)\"" } ?? "the secret") not found in region \(region)")
            }
            if AWSServiceError.credentialCodes.contains(error.code) {
                return ProviderError.accessDenied(
                    "\(serviceName) \(subject): AWS refused \(credentialsOwner) credentials (\(error.code)): the access key is unknown, the secret key is wrong, or the credentials expired"
                )
            }
            if error.isAccessDenied {
                var hint = ""
                if let iamPrefix, Self.writeOperations.contains(operation) {
                    hint = "; pushing needs the IAM permission \(iamPrefix):\(operation) on it"
                }
                return ProviderError.accessDenied(
                    "\(serviceName) \(subject): access denied (\(error.code))\(error.message.map { ": \($0)" } ?? "")\(hint)"
                )
            }
            if error.isThrottling {
                return ProviderError(
                    .throttled, "\(serviceName) \(subject): throttled by AWS (\(error.code)); retries exhausted")
            }
            if error.isRetryable {
                return ProviderError(
                    .unavailable, "\(serviceName) \(subject): AWS answered \(error.code) (HTTP \(error.status))")
            }
            return ProviderError(.other, "\(serviceName) \(subject) failed: \(error.code) (HTTP \(error.status))")
        case let error as AWSTransportFailure:
            return ProviderError(.unavailable, "\(serviceName) \(subject): \(error)")
        case let error as DefaultChainError:
            return ProviderError.invalidConfiguration("\(error)")
        case is DecodingError:
            return ProviderError(.invalidData, "\(serviceName) \(subject): the answer could not be decoded")
        default:
            return ProviderError(.other, "\(serviceName) \(subject) failed: \(AWSHTTPClient.transportDetail(error))")
        }
    }
}

/// A `find` both services answer: the name matcher, the tags (key = value pairs, all required) and
/// the path, refused when none is set.
struct FindQuery: Sendable {
    let matcher: NameMatcher
    let tags: [String: String]
    /// The path prefix; nil when unset or empty.
    let path: String?

    init(_ find: ExternalSecretFind) throws(ProviderError) {
        matcher = try NameMatcher(find)
        tags = find.tags ?? [:]
        path = find.path.flatMap { $0.isEmpty ? nil : $0 }
        guard matcher.isSet || !tags.isEmpty || path != nil else {
            throw .invalidConfiguration("find needs name.regexp, tags or path")
        }
    }
}

/// `find.name.regexp`, matched anywhere in the name as Go's `MatchString` does.
struct NameMatcher: Sendable {
    private let regexp: GoRegexp?

    init(_ find: ExternalSecretFind) throws(ProviderError) {
        guard let pattern = find.name?.regexp, !pattern.isEmpty else {
            regexp = nil
            return
        }
        do {
            regexp = try GoRegexp(pattern)
        } catch {
            throw .invalidConfiguration(
                "find.name.regexp \"\(pattern)\" is not a valid regular expression: \(error.message)")
        }
    }

    var isSet: Bool { regexp != nil }

    func matches(_ name: String) -> Bool {
        regexp?.matchString(name) ?? true
    }
}

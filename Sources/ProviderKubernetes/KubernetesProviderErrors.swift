import HTTPSupport
import KubeClient
import ProviderKit

/// Turns failures of requests to the store's API server into `ProviderError`s.
///
/// Messages name the operation, the namespace and the server; they never carry a response body
/// or the server's own message (a server may echo anything, the presented token included), only
/// its status code and a sanitized reason.
struct RemoteErrorMapper: Sendable {
    /// The store's API server, for messages.
    var server: String
    var namespace: String

    /// What was being done, for messages: a verb on Secrets, or a named Secret.
    enum Operation {
        case get(secret: String)
        case list
        case review
        /// A PushSecret write: `create`, `update` or `delete` of one Secret.
        case write(verb: String, secret: String)

        var verb: String {
            switch self {
            case .get: "get"
            case .list: "list"
            case .review: "review access to"
            case .write(let verb, _): verb
            }
        }
    }

    func map(_ error: any Error, _ operation: Operation) -> any Error {
        switch error {
        case is CancellationError, is ProviderError:
            return error
        case let error as KubeAPIError:
            return map(error, operation)
        case HTTPTransportError.timedOut(let after):
            return ProviderError(.unavailable, "the Kubernetes API server at \(server) did not answer within \(after)")
        case let error as HTTPTransportError:
            return ProviderError(.unavailable, "cannot reach the Kubernetes API server at \(server): \(error)")
        case is KubeClientError:
            // Its text may quote decoding details of a response that holds secret values.
            return ProviderError(
                .invalidData,
                "\(operation.verb) secrets in namespace \"\(namespace)\" at \(server): the answer could not be decoded")
        default:
            return ProviderError(
                .unavailable,
                "cannot reach the Kubernetes API server at \(server): \(Self.sanitized(String(describing: error)))")
        }
    }

    private func map(_ error: KubeAPIError, _ operation: Operation) -> ProviderError {
        if error.isUnauthorized {
            return .accessDenied(
                "the Kubernetes API server at \(server) rejected the store's credentials (401 Unauthorized): they are invalid or expired"
            )
        }
        if error.isForbidden {
            if case .review = operation {
                return .accessDenied(
                    "the store's credentials may not create selfsubjectaccessreviews (authorization.k8s.io), needed to validate the store"
                )
            }
            return .accessDenied(
                "the store's credentials may not \(operation.verb) secrets in namespace \"\(namespace)\"")
        }
        if error.isNotFound, case .get(let secret) = operation {
            return .notFound("Secret \"\(secret)\" not found in namespace \"\(namespace)\"")
        }
        let reason = error.reason.map { " \(Self.sanitizedReason($0))" } ?? ""
        let what = "\(operation.verb) secrets in namespace \"\(namespace)\" at \(server)"
        if error.isTooManyRequests {
            return ProviderError(.throttled, "\(what): the API server kept answering 429 Too Many Requests")
        }
        if error.isInternalError {
            return ProviderError(.unavailable, "\(what) failed: HTTP \(error.statusCode)\(reason)")
        }
        return ProviderError(.other, "\(what) failed: HTTP \(error.statusCode)\(reason)")
    }

    /// A server's machine-readable reason, reduced to letters (they are CamelCase words).
    static func sanitizedReason(_ reason: String) -> String {
        String(reason.filter { $0.isASCII && $0.isLetter }.prefix(40))
    }

    /// Transport error text, bounded. Transport errors describe connections and TLS handshakes,
    /// not requests, so they hold no header or body.
    static func sanitized(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}

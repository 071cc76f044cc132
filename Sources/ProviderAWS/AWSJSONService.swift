import Foundation
import ProviderKit

/// One AWS JSON 1.1 service (Secrets Manager, SSM) as the store clients call it: the request is
/// sent (signed, retried) by `AWSHTTPClient`, the answer decoded, and every failure turned into a
/// sanitized `ProviderError` by `AWSErrorMapper`. The one place both clients go through.
struct AWSJSONService: Sendable {
    var http: AWSHTTPClient
    /// `secretsmanager` or `AmazonSSM` (the `X-Amz-Target` prefix).
    var targetPrefix: String
    var errors: AWSErrorMapper

    /// An answer without members (`DeleteParameter`, `TagResource`, ...).
    struct Empty: Decodable {}

    /// Calls `operation` and decodes its answer.
    ///
    /// - Parameters:
    ///   - key: the remote secret the call is about, named in error messages.
    ///   - notFound: codes that mean "that secret does not exist" for this call; they become
    ///     `ProviderError.notFound`, as does Secrets Manager's "marked for deletion" answer then.
    func call<Input: Encodable, Output: Decodable>(
        _ operation: String, _ input: Input, key: String?, notFound: Set<String> = []
    ) async throws -> Output {
        do {
            let data = try await http.callJSON(targetPrefix: targetPrefix, operation: operation, input: input)
            return try AWSJSON.decoder.decode(Output.self, from: data)
        } catch let error as AWSServiceError where error.isMarkedForDeletion && !notFound.isEmpty {
            throw ProviderError.notFound("\(errors.serviceName): \"\(key ?? "")\" is scheduled for deletion")
        } catch {
            throw errors.map(error, operation: operation, key: key, notFoundCodes: notFound)
        }
    }

    /// `call` for operations whose answer is not needed.
    func send<Input: Encodable>(_ operation: String, _ input: Input, key: String?, notFound: Set<String> = [])
        async throws
    {
        let _: Empty = try await call(operation, input, key: key, notFound: notFound)
    }

    /// `call`, with a missing secret answered as nil instead of thrown.
    func callIfExists<Input: Encodable, Output: Decodable>(
        _ operation: String, _ input: Input, key: String, notFound: Set<String>
    ) async throws -> Output? {
        do {
            return try await call(operation, input, key: key, notFound: notFound) as Output
        } catch let error as ProviderError where error.isNotFound {
            return nil
        }
    }
}

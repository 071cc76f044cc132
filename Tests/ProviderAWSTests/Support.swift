import AWSSigV4
import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization

@testable import ProviderAWS

/// A value that must never show up in an error description or a log.
let canary = "CANARY-91be-secret-value"

/// The waits a retry policy asked for.
final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

/// A mutable clock for credential expiry.
final class TestClock: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}

/// A JSON response.
func json(_ status: HTTPResponseStatus = .ok, _ text: String) -> ScriptedTransport.Reply {
    .respond(status, headers: ["Content-Type": "application/x-amz-json-1.1"], body: Array(text.utf8))
}

func xml(_ status: HTTPResponseStatus = .ok, _ text: String) -> ScriptedTransport.Reply {
    .respond(status, headers: ["Content-Type": "text/xml"], body: Array(text.utf8))
}

extension HTTPRequest {
    var target: String { headers.first(name: "X-Amz-Target") ?? "" }
    var bodyText: String { String(decoding: body ?? [], as: UTF8.self) }
    var bodyJSON: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body ?? [])) as? [String: Any]) ?? [:] }
}

func store(
    _ aws: AWSProvider, kind: StoreKind = .secretStore, name: String = "aws", namespace: String = "team",
    retry: SecretStoreRetrySettings? = nil
) -> StoreContext {
    .fixture(
        SecretStoreProvider(aws: aws), kind: kind, name: name, namespace: namespace, caller: namespace,
        retrySettings: retry)
}

let keysRef = AWSAuth(
    secretRef: AWSAuthSecretRef(
        accessKeyIDSecretRef: SecretKeySelector(name: "aws", key: "id"),
        secretAccessKeySecretRef: SecretKeySelector(name: "aws", key: "secret")))

let keySecrets = ["aws/id": "AKIATESTKEY000000001", "aws/secret": "test-secret-access-key"]

/// A provider over a scripted transport, with no real sleeping.
func provider(
    _ transport: ScriptedTransport, environment: [String: String] = [:], clock: TestClock = TestClock(),
    sleeps: Sleeps? = nil, files: [String: String] = [:]
) -> AWSSecretsProvider {
    AWSSecretsProvider(
        environment: environment, transport: { _ in (transport, {}) },
        retry: AWSRetryPolicy(
            random: { 0.5 },
            sleep: { duration in sleeps?.append(duration) }),
        now: clock.function, readFile: { files[$0] })
}

let stsCredentialsXML = """
    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>\
    <AccessKeyId>ASIAASSUMED000000001</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>\
    <SessionToken>assumed-token</SessionToken><Expiration>2027-01-15T09:00:00Z</Expiration>\
    </Credentials></AssumeRoleResult></AssumeRoleResponse>
    """

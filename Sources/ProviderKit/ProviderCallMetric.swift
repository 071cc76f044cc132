import Metrics

/// ESO's `externalsecret_provider_api_calls_count{provider,call,status}`: one count per call a
/// provider makes (each attempt of a retried one), with ESO's provider and call names and status
/// `success` or `error`. The one definition every provider and the provider-call cache count through.
public enum ProviderCallMetric {
    public static let name = "externalsecret_provider_api_calls_count"

    public static func count(provider: String, call: String, failed: Bool) {
        Counter(
            label: name, dimensions: [("provider", provider), ("call", call), ("status", failed ? "error" : "success")]
        ).increment()
    }
}

import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

@Suite struct ExternalSecretDecodingTests {
    @Test func decodesESOManifestAndKeepsUnsupportedProviderBlocks() throws {
        let manifest = """
            {"apiVersion":"external-secrets.io/v1","kind":"SecretStore","metadata":{"name":"s","namespace":"n"},
             "spec":{"refreshInterval":300,"provider":{"vault":{"server":"https://vault","version":"v2"}}}}
            """
        let store = try JSONDecoder().decode(SecretStore.self, from: Data(manifest.utf8))
        #expect(store.spec.provider.configuredProviderNames == ["vault"])
        #expect(store.spec.refreshInterval == .int(300))
        let reencoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(store))
        #expect(reencoded["spec"]?["provider"]?["vault"]?["version"] == .string("v2"))
    }

    @Test func decodesExternalSecretWithEveryCommonField() throws {
        let manifest = """
            {"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"e"},
             "spec":{"secretStoreRef":{"name":"s","kind":"ClusterSecretStore"},"refreshInterval":"15m",
               "refreshPolicy":"OnChange",
               "target":{"name":"t","creationPolicy":"Merge","deletionPolicy":"Delete","immutable":true},
               "data":[{"secretKey":"k","remoteRef":{"key":"a","property":"p.q","decodingStrategy":"Base64"}}],
               "dataFrom":[{"find":{"name":{"regexp":"^db"}},"rewrite":[{"regexp":{"source":"db-(.*)","target":"$1"}}]}]},
             "status":{"refreshTime":null}}
            """
        let es = try JSONDecoder().decode(ExternalSecret.self, from: Data(manifest.utf8))
        #expect(es.spec.secretStoreRef?.kind == .clusterSecretStore)
        #expect(es.spec.target?.creationPolicy == .merge)
        #expect(es.spec.data?.first?.remoteRef.decodingStrategy == .base64)
        #expect(es.spec.dataFrom?.first?.rewrite?.first?.regexp?.target == "$1")
        #expect(es.status?.refreshTime == nil)
    }

    @Test(arguments: [
        (["team": "a"], true), (["team": "b"], false), ([:], false),
    ])
    func labelSelectorMatches(labels: [String: String], expected: Bool) {
        let selector = LabelSelector(
            matchLabels: ["team": "a"],
            matchExpressions: [LabelSelectorRequirement(key: "tier", operator: "DoesNotExist")])
        #expect(selector.matches(labels) == expected)
    }
}

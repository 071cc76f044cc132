import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// ClusterPushSecret on the same control plane: one PushSecret per chosen namespace, owned by it;
/// deleting it lets each PushSecret's own deletionPolicy run (here Delete: the remote secret goes,
/// which an ExternalSecret reading the same fake store shows).
extension ClusterExternalSecretTests {
    @Test func clusterPushSecretFansOutAndItsDeletionHonoursDeletionPolicy() async throws {
        try await withOperator("cps") { f in
            let a = try await f.namespace("a", chosen: true)
            let b = try await f.namespace("b", chosen: true)
            let reader = try await f.namespace("reader", chosen: false)
            for namespace in [a, b] {
                _ = try await f.client.api(Secret.self, namespace: namespace).create(
                    Secret(metadata: ObjectMeta(name: "source"), data: ["password": Data(canary.utf8)]))
            }
            let remoteKey = "pushed-\(f.id)"
            let parent = "push-\(f.id)"
            let parents = f.client.api(ClusterPushSecret.self)
            _ = try await parents.create(
                ClusterPushSecret(
                    metadata: ObjectMeta(name: parent),
                    spec: ClusterPushSecretSpec(
                        pushSecretSpec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: f.store, kind: .clusterSecretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "password", remoteRef: PushSecretRemoteRef(remoteKey: remoteKey)))
                            ]),
                        pushSecretMetadata: ChildMetadata(labels: ["pushed-by": "cluster"]),
                        namespaceSelectors: [LabelSelector(matchLabels: ["team": f.id])])))
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    let status = try await parents.get(parent).status
                    return status?.provisionedNamespaces == [a, b].sorted()
                        && status?.conditions?.first { $0.type == "Ready" }?.status == "True"
                        && status?.pushSecretName == parent
                }, "log: \(f.process.log.suffix(3000))")
            for namespace in [a, b] {
                let child = try await f.client.api(PushSecret.self, namespace: namespace).get(parent)
                #expect(child.metadata.ownerReferences?.first?.kind == "ClusterPushSecret")
                #expect(child.metadata.ownerReferences?.first?.controller == true)
                #expect(child.metadata.labels == ["pushed-by": "cluster"])
                #expect(try await waitForPushReady(f.client, namespace, parent), "log: \(f.process.log.suffix(3000))")
            }

            // An ExternalSecret elsewhere reads what was pushed, and loses it once it is deleted.
            _ = try await f.children(reader).create(
                externalSecret(
                    "mirror", store: f.store, storeKind: .clusterSecretStore,
                    target: ExternalSecretTarget(creationPolicy: .owner, deletionPolicy: .delete),
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(
                            find: ExternalSecretFind(name: FindName(regexp: "^\(remoteKey)$")))
                    ],
                    refreshInterval: "1s"))
            let secrets = f.client.api(Secret.self, namespace: reader)
            #expect(
                try await eventually { try await secrets.getIfExists("mirror")?.data?[remoteKey] == Data(canary.utf8) },
                "log: \(f.process.log.suffix(3000))")

            try await parents.delete(parent)
            #expect(try await eventually(timeout: .seconds(90)) { try await parents.getIfExists(parent) == nil })
            for namespace in [a, b] {
                #expect(
                    try await eventually(timeout: .seconds(90)) {
                        try await f.client.api(PushSecret.self, namespace: namespace).getIfExists(parent) == nil
                    })
            }
            #expect(
                try await eventually(timeout: .seconds(60)) { try await secrets.getIfExists("mirror") == nil },
                "log: \(f.process.log.suffix(3000))")
        }
    }
}

import Foundation
import KubeModel
import Testing

@testable import KubeClient

@Suite struct RequestBuildingTests {
    @Test(arguments: [
        (Secret.resource, "ns", "db", nil, "/api/v1/namespaces/ns/secrets/db"),
        (Secret.resource, nil, nil, nil, "/api/v1/secrets"),
        (Lease.resource, "kube-system", "lock", nil, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock"),
        (Namespace.resource, "ignored", "team", "status", "/api/v1/namespaces/team/status"),
        (CustomResourceDefinition.resource, nil, "x.example.com", nil,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.example.com"),
        (ServiceAccount.resource, "ns", "app", "token", "/api/v1/namespaces/ns/serviceaccounts/app/token"),
    ] as [(ResourceDescriptor, String?, String?, String?, String)])
    func paths(resource: ResourceDescriptor, namespace: String?, name: String?, subresource: String?, path: String) {
        #expect(RequestBuilder.path(for: resource, namespace: namespace, name: name, subresource: subresource) == path)
    }

    @Test func listQueryIsEncoded() {
        let request = RequestBuilder.list(
            Secret.resource, namespace: "ns",
            options: ListOptions(
                labelSelector: "app in (a,b),!legacy", fieldSelector: "metadata.name=x", limit: 50,
                continueToken: "tok/en=="))
        #expect(request.method == .GET)
        #expect(
            request.pathAndQuery
                == "/api/v1/namespaces/ns/secrets?labelSelector=app%20in%20%28a%2Cb%29%2C%21legacy&fieldSelector=metadata.name%3Dx&limit=50&continue=tok%2Fen%3D%3D"
        )
    }

    @Test func watchQuery() {
        let request = RequestBuilder.watch(
            ConfigMap.resource, namespace: nil,
            options: WatchOptions(labelSelector: "a=b", resourceVersion: "123", timeoutSeconds: 60))
        #expect(
            request.pathAndQuery
                == "/api/v1/configmaps?watch=true&labelSelector=a%3Db&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=60"
        )
    }

    @Test func serverSideApply() {
        let request = RequestBuilder.apply(
            Secret.resource, namespace: "ns", name: "s", body: Array("{}".utf8),
            fieldManager: "externalsecrets.external-secrets.io/x", force: true)
        #expect(request.method == .PATCH)
        #expect(request.headers.first { $0.0 == "Content-Type" }?.1 == "application/apply-patch+yaml")
        #expect(
            request.pathAndQuery
                == "/api/v1/namespaces/ns/secrets/s?fieldManager=externalsecrets.external-secrets.io%2Fx&force=true")
    }

    @Test func patchContentTypes() throws {
        let merge = try RequestBuilder.patch(
            Secret.resource, namespace: "ns", name: "s", patch: .merge(["metadata": ["labels": ["a": "b"]]]))
        #expect(merge.headers.first { $0.0 == "Content-Type" }?.1 == "application/merge-patch+json")
        #expect(String(decoding: merge.body ?? [], as: UTF8.self) == #"{"metadata":{"labels":{"a":"b"}}}"#)

        let json = try RequestBuilder.patch(
            Secret.resource, namespace: "ns", name: "s",
            patch: .json([.test("/metadata/resourceVersion", "7"), .remove("/data/\(JSONPatchOperation.escape("a/b~c"))")]),
            subresource: "status")
        #expect(json.path == "/api/v1/namespaces/ns/secrets/s/status")
        #expect(json.headers.first { $0.0 == "Content-Type" }?.1 == "application/json-patch+json")
        #expect(
            String(decoding: json.body ?? [], as: UTF8.self)
                == #"[{"op":"test","path":"/metadata/resourceVersion","value":"7"},{"op":"remove","path":"/data/a~1b~0c"}]"#)
    }

    @Test func deleteOptionsBody() throws {
        let request = try RequestBuilder.delete(
            Secret.resource, namespace: "ns", name: "s",
            options: DeleteOptions(
                propagationPolicy: .foreground, preconditions: .init(uid: "u-1", resourceVersion: "9")))
        #expect(request.method == .DELETE)
        #expect(
            String(decoding: request.body ?? [], as: UTF8.self)
                == #"{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"resourceVersion":"9","uid":"u-1"},"propagationPolicy":"Foreground"}"#
        )
    }

    @Test func namesArePercentEncodedInPaths() {
        #expect(RequestBuilder.path(for: Secret.resource, namespace: "ns", name: "a b") == "/api/v1/namespaces/ns/secrets/a%20b")
    }
}

@Suite struct LineSplitterTests {
    @Test func frameSplitAcrossChunks() throws {
        var splitter = LineSplitter()
        #expect(try splitter.append(Array(#"{"type":"ADD"#.utf8)).isEmpty)
        #expect(try splitter.append(Array(#"ED"}"#.utf8)).isEmpty)
        let frames = try splitter.append(Array("\n{\"b\":1}\n\n{\"c\"".utf8))
        #expect(frames.map { String(decoding: $0, as: UTF8.self) } == [#"{"type":"ADDED"}"#, #"{"b":1}"#])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == #"{"c""#)
        #expect(splitter.finish() == nil)
    }

    @Test func oversizedFrameIsAnError() {
        var splitter = LineSplitter(maxFrameBytes: 8)
        #expect(throws: KubeClientError.self) { try splitter.append(Array("0123456789".utf8)) }
    }
}

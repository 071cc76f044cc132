import ControllerRuntime
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// The pure part of ClusterExternalSecret / ClusterPushSecret: which namespaces are chosen, which
/// selectors are refused, and the plan of creates, updates and deletions.
struct NamespaceFanOutTests {
    static let spec = ExternalSecretSpec(
        secretStoreRef: SecretStoreRef(name: "shared", kind: .clusterSecretStore),
        data: [ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "db"))])

    static func ces(
        name: String = "db", childName: String? = nil,
        selectors: [LabelSelector] = [LabelSelector(matchLabels: ["team": "a"])],
        namespaces: [String]? = nil, annotations: [String: String]? = nil, metadata: ChildMetadata? = nil
    ) -> ClusterExternalSecret {
        var ces = ClusterExternalSecret(
            metadata: ObjectMeta(name: name, annotations: annotations),
            spec: ClusterExternalSecretSpec(
                externalSecretSpec: spec, externalSecretName: childName, externalSecretMetadata: metadata,
                namespaceSelectors: selectors, namespaces: namespaces))
        ces.metadata.uid = "uid-\(name)"
        return ces
    }

    static func child(
        _ namespace: String, _ name: String = "db", owner: String? = "db", kind: String = "ClusterExternalSecret"
    )
        -> ExternalSecret
    {
        var es = ExternalSecret(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
        es.metadata.resourceVersion = "7"
        if let owner {
            es.metadata.ownerReferences = [
                OwnerReference(
                    apiVersion: "external-secrets.io/v1", kind: kind, name: owner, uid: "uid-\(owner)",
                    controller: true,
                    blockOwnerDeletion: true)
            ]
        }
        return es
    }

    static func plan(
        _ ces: ClusterExternalSecret, namespaces: [FanOutNamespace], existing: [ExternalSecret]
    ) -> FanOutPlan<ExternalSecret> {
        let byKey = Dictionary(uniqueKeysWithValues: existing.map { (ObjectKey($0), $0) })
        let controlled = existing.filter { ClusterExternalSecret.controls($0, name: ces.metadata.name ?? "") }
        return FanOutPlanner.plan(ces, namespaces: namespaces, existing: { byKey[$0] }, controlled: controlled)
    }

    // MARK: - Selection

    @Test func selectorsAreOredAndNamesMatchByName() {
        let selection = NamespaceSelection(
            selectors: [LabelSelector(matchLabels: ["team": "a"]), LabelSelector(matchLabels: ["team": "b"])],
            names: ["legacy"])
        #expect(selection.matches(name: "x", labels: ["team": "a"]))
        #expect(selection.matches(name: "y", labels: ["team": "b"]))
        #expect(!selection.matches(name: "z", labels: ["team": "c"]))
        #expect(selection.matches(name: "legacy", labels: [:]))
        #expect(!NamespaceSelection(selectors: []).matches(name: "any", labels: ["team": "a"]))
        #expect(NamespaceSelection(selectors: [LabelSelector()]).matches(name: "any", labels: [:]))
    }

    @Test(arguments: [
        (
            LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "team", operator: "Matches", values: ["a"])]
            ),
            #"spec.namespaceSelectors[0].matchExpressions[0]: unknown operator "Matches" (use In, NotIn, Exists or DoesNotExist)"#
        ),
        (
            LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "team", operator: "In")]),
            "spec.namespaceSelectors[0].matchExpressions[0]: operator In needs at least one value"
        ),
        (
            LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "team", operator: "Exists", values: ["a"])]),
            "spec.namespaceSelectors[0].matchExpressions[0]: operator Exists takes no values"
        ),
        (
            LabelSelector(matchLabels: ["bad key!": "a"]),
            #"spec.namespaceSelectors[0].matchLabels: key "bad key!" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#
        ),
        (
            LabelSelector(matchLabels: ["team": String(repeating: "a", count: 64)]),
            #"spec.namespaceSelectors[0].matchLabels[team]: value "\#(String(repeating: "a", count: 64))" is longer than 63 characters"#
        ),
        (
            LabelSelector(matchLabels: ["Example.com/team": "a"]),
            #"spec.namespaceSelectors[0].matchLabels: key "Example.com/team" has a prefix that is not a DNS subdomain"#
        ),
    ])
    func badSelectorsAreRefusedNamingTheField(selector: LabelSelector, message: String) {
        let ces = Self.ces(selectors: [selector])
        #expect(throws: InvalidSpec(message)) { try ces.selection.validate(fields: ces.selectorFields) }
    }

    @Test func goodSelectorsPass() throws {
        let ces = Self.ces(selectors: [
            LabelSelector(
                matchLabels: ["example.com/team": "a", "empty": ""],
                matchExpressions: [
                    LabelSelectorRequirement(key: "tier", operator: "NotIn", values: ["x", "y_z.1"]),
                    LabelSelectorRequirement(key: "frozen", operator: "DoesNotExist"),
                ])
        ])
        try ces.selection.validate(fields: ces.selectorFields)
    }

    @Test func childSpecsESORefusesAreRefusedWithTheParentsFieldPath() {
        var ces = Self.ces()
        ces.spec.externalSecretSpec.target = ExternalSecretTarget(creationPolicy: .merge, deletionPolicy: .delete)
        #expect(
            throws: InvalidSpec(
                "spec.externalSecretSpec.target.deletionPolicy Delete cannot be used with spec.externalSecretSpec.target.creationPolicy Merge"
            )
        ) { try ces.validateChildSpec() }
        #expect(throws: Never.self) { try Self.ces().validateChildSpec() }
    }

    @Test func objectNames() {
        #expect(LabelSyntax.isDNSSubdomain("db-credentials.v2"))
        #expect(!LabelSyntax.isDNSSubdomain("DB"))
        #expect(!LabelSyntax.isDNSSubdomain(String(repeating: "a", count: 254)))
        #expect(LabelSyntax.isDNSSubdomain(String(repeating: "a", count: 253)))
        #expect(!LabelSyntax.isDNSSubdomain("a..b") && !LabelSyntax.isDNSSubdomain("-a"))
    }

    // MARK: - Plan

    @Test func createsInMatchingNamespacesOnlyAndSkipsTerminatingOnes() {
        let plan = Self.plan(
            Self.ces(),
            namespaces: [
                FanOutNamespace(name: "a1", labels: ["team": "a"]), FanOutNamespace(name: "b1", labels: ["team": "b"]),
                FanOutNamespace(name: "a2", labels: ["team": "a"], terminating: true),
            ],
            existing: [])
        #expect(plan.creates.map { ObjectKey($0) } == [ObjectKey(namespace: "a1", name: "db")])
        let created = plan.creates[0]
        #expect(created.spec == Self.spec)
        #expect(
            created.metadata.ownerReferences == [
                OwnerReference(
                    apiVersion: "external-secrets.io/v1", kind: "ClusterExternalSecret", name: "db", uid: "uid-db",
                    controller: true, blockOwnerDeletion: true)
            ])
        #expect(plan.updates.isEmpty && plan.deletions.isEmpty && plan.refused.isEmpty)
    }

    @Test func anUnchangedChildIsLeftAloneAndAChangedOneReplacedFromWhatWasRead() {
        let a = FanOutNamespace(name: "a1", labels: ["team": "a"])
        #expect(Self.plan(Self.ces(), namespaces: [a], existing: [Self.child("a1")]).unchanged == ["a1"])

        var edited = Self.child("a1")
        edited.spec.refreshInterval = "1m"
        edited.metadata.labels = ["someone": "else"]
        edited.metadata.finalizers = ["externalsecrets.external-secrets.io/externalsecret-cleanup"]
        let plan = Self.plan(
            Self.ces(metadata: ChildMetadata(labels: ["app": "db"])), namespaces: [a], existing: [edited])
        #expect(plan.updates.count == 1)
        let update = plan.updates[0]
        #expect(update.spec == Self.spec)
        #expect(update.metadata.labels == ["app": "db"])  // ESO: the child's labels are the spec's
        #expect(update.metadata.resourceVersion == "7" && update.metadata.finalizers == edited.metadata.finalizers)
    }

    @Test func aChildOfTheSameNameNotOwnedIsNeverTouched() {
        let namespaces = [
            FanOutNamespace(name: "a1", labels: ["team": "a"]), FanOutNamespace(name: "a2", labels: ["team": "a"]),
        ]
        let plan = Self.plan(
            Self.ces(), namespaces: namespaces,
            existing: [Self.child("a1", owner: nil), Self.child("a2", owner: "other")])
        #expect(plan.creates.isEmpty && plan.updates.isEmpty && plan.deletions.isEmpty)
        #expect(
            plan.refused["a1"]
                == #"external secret already exists in namespace: ExternalSecret "db" is not owned by this ClusterExternalSecret; it is left as it is"#
        )
        #expect(plan.refused.keys.sorted() == ["a1", "a2"])
    }

    @Test func ownedChildrenNoLongerWantedAreDeleted() {
        // a1 stopped matching, a2 holds the old name (renamed to db-v2), a3 is being deleted.
        let namespaces = [
            FanOutNamespace(name: "a1", labels: ["team": "x"]), FanOutNamespace(name: "a2", labels: ["team": "a"]),
            FanOutNamespace(name: "a3", labels: ["team": "a"], terminating: true),
        ]
        let plan = Self.plan(
            Self.ces(childName: "db-v2"), namespaces: namespaces,
            existing: [
                Self.child("a1"), Self.child("a2"), Self.child("a3"), Self.child("a1", "unrelated", owner: nil),
                Self.child("a2", "db", owner: "db", kind: "SomethingElse"),
            ].filter { $0.metadata.ownerReferences?.first?.kind != "SomethingElse" })
        #expect(plan.deletions == [ObjectKey(namespace: "a1", name: "db"), ObjectKey(namespace: "a2", name: "db")])
        #expect(plan.creates.map { ObjectKey($0) } == [ObjectKey(namespace: "a2", name: "db-v2")])
    }

    @Test func namespacesListedByNameAndTheDeprecatedSelectorCount() {
        var ces = Self.ces(selectors: [], namespaces: ["legacy"])
        ces.spec.namespaceSelector = LabelSelector(matchLabels: ["old": "yes"])
        let plan = Self.plan(
            ces,
            namespaces: [
                FanOutNamespace(name: "legacy"), FanOutNamespace(name: "old", labels: ["old": "yes"]),
                FanOutNamespace(name: "none"),
            ],
            existing: [])
        #expect(plan.creates.map { $0.metadata.namespace ?? "" } == ["legacy", "old"])
        #expect(ces.selectorFields == ["spec.namespaceSelector"])
    }

    @Test func forceSyncOfTheParentReachesEveryChildAndGoesWithIt() {
        let forced = Self.ces(
            annotations: [ESONames.forceSyncAnnotation: "2026-01-01"],
            metadata: ChildMetadata(annotations: ["note": "x"]))
        let child = forced.shape(Self.child("a1"))
        #expect(child.metadata.annotations == ["note": "x", ESONames.forceSyncAnnotation: "2026-01-01"])
        let unforced = Self.ces(metadata: ChildMetadata(annotations: [ESONames.forceSyncAnnotation: "stale"]))
        #expect(unforced.shape(Self.child("a1")).metadata.annotations == nil)
    }

    // MARK: - Status

    @Test func statusIsESOs() {
        let ces = Self.ces()
        let ok = ces.status(after: FanOutOutcome(childName: "db", provisioned: ["a1", "a2"], failed: [:]))
        #expect(
            ok.externalSecretName == "db" && ok.provisionedNamespaces == ["a1", "a2"] && ok.failedNamespaces == nil)
        #expect(ok.conditions == [ClusterExternalSecretCondition(type: "Ready", status: "True")])
        let failed = ces.status(
            after: FanOutOutcome(childName: "db", provisioned: ["a1"], failed: ["b": "x", "a": "y"]))
        #expect(
            failed.failedNamespaces == [
                NamespaceFailure(namespace: "a", reason: "y"), NamespaceFailure(namespace: "b", reason: "x"),
            ])
        #expect(
            failed.conditions == [
                ClusterExternalSecretCondition(type: "Ready", status: "False", message: "one or more namespaces failed")
            ])
        let refused = ces.status(
            after: FanOutOutcome(childName: "db", provisioned: [], failed: [:], invalid: "bad selector"))
        #expect(
            refused.conditions == [
                ClusterExternalSecretCondition(type: "Ready", status: "False", message: "bad selector")
            ])
    }
}

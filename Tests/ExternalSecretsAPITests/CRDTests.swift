import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

@Suite struct CRDTests {
    static let schemas: [(String, OpenAPISchema)] = [
        ("ExternalSecret", ExternalSecret.openAPISchema), ("SecretStore", SecretStore.openAPISchema),
        ("ClusterSecretStore", ClusterSecretStore.openAPISchema), ("PushSecret", PushSecret.openAPISchema),
        ("Password", PasswordGenerator.openAPISchema), ("UUID", UUIDGenerator.openAPISchema),
        ("SSHKey", SSHKeyGenerator.openAPISchema), ("Fake", FakeGenerator.openAPISchema),
        ("MFA", MFAGenerator.openAPISchema),
        ("ECRAuthorizationToken", ECRAuthorizationTokenGenerator.openAPISchema),
        ("STSSessionToken", STSSessionTokenGenerator.openAPISchema), ("ClusterGenerator", ClusterGenerator.openAPISchema),
        ("GeneratorState", GeneratorState.openAPISchema),
    ]

    @Test(arguments: schemas.map(\.0))
    func schemaIsStructural(kind: String) throws {
        let schema = try #require(Self.schemas.first { $0.0 == kind }?.1)
        let errors = schema.structuralErrors()
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
    }

    /// `kubectl explain` shows every field with words: each declared property has a description.
    @Test(arguments: schemas.map(\.0))
    func everyPropertyIsDescribed(kind: String) throws {
        let schema = try #require(Self.schemas.first { $0.0 == kind }?.1)
        let undescribed = Self.undescribedProperties(schema.json).filter { $0 != ".metadata" }
        #expect(undescribed.isEmpty, "fields without a description:\n\(undescribed.joined(separator: "\n"))")
    }

    static func undescribedProperties(_ schema: JSONValue, path: String = "") -> [String] {
        var found: [String] = []
        for (name, property) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let described = property["description"]?.stringValue.map { !$0.isEmpty } ?? false
            if !described { found.append("\(path).\(name)") }
            found += undescribedProperties(property, path: "\(path).\(name)")
        }
        if let items = schema["items"] { found += undescribedProperties(items, path: "\(path)[]") }
        if let values = schema["additionalProperties"] { found += undescribedProperties(values, path: "\(path){}") }
        return found
    }

    @Test func definitionsCarryESONamesAndVersions() throws {
        let crds = ExternalSecretsCRDs.all.filter { $0.spec.group == "external-secrets.io" }
        #expect(
            crds.map(\.metadata.name) == [
                "externalsecrets.external-secrets.io", "secretstores.external-secrets.io",
                "clustersecretstores.external-secrets.io", "pushsecrets.external-secrets.io",
                "clusterexternalsecrets.external-secrets.io", "clusterpushsecrets.external-secrets.io",
            ])
        #expect(crds.map(\.spec.names.shortNames) == [["es"], ["ss"], ["css"], ["ps"], ["ces"], nil])
        #expect(crds.map(\.spec.scope) == ["Namespaced", "Namespaced", "Cluster", "Namespaced", "Cluster", "Cluster"])
        for crd in crds {
            #expect(crd.spec.group == "external-secrets.io")
            #expect(crd.metadata.labels == ["external-secrets.io/component": "controller"])
            #expect(crd.spec.names.categories == ["external-secrets"])
            #expect(crd.spec.names.listKind == "\(crd.spec.names.kind)List")
            #expect(crd.spec.versions.count == 1)
            let version = try #require(crd.spec.versions.first)
            let expectedVersion = crd.spec.names.kind.hasSuffix("PushSecret") ? "v1alpha1" : "v1"
            #expect(version.name == expectedVersion && version.served && version.storage)
            #expect(version.subresources == ["status": [:]])
            #expect(version.schema?.openAPIV3Schema?["type"] == "object")
        }
    }

    @Test func generatorDefinitionsCarryESONamesAndVersions() throws {
        let crds = ExternalSecretsCRDs.all.filter { $0.spec.group == "generators.external-secrets.io" }
        #expect(
            crds.map(\.metadata.name) == [
                "passwords", "uuids", "sshkeys", "fakes", "mfas", "ecrauthorizationtokens", "stssessiontokens",
                "clustergenerators", "generatorstates", "webhooks", "githubaccesstokens", "quayaccesstokens",
                "grafanas", "vaultdynamicsecrets",
            ].map { "\($0).generators.external-secrets.io" })
        #expect(
            crds.map(\.spec.scope)
                == Array(repeating: "Namespaced", count: 7) + ["Cluster"] + Array(repeating: "Namespaced", count: 6))
        for crd in crds {
            #expect(crd.spec.names.categories == ["external-secrets", "external-secrets-generators"])
            #expect(crd.spec.names.shortNames == (crd.spec.names.kind == "GeneratorState" ? ["gs"] : nil))
            let version = try #require(crd.spec.versions.first)
            #expect(version.name == "v1alpha1" && version.served && version.storage)
            #expect(version.subresources == (crd.spec.names.kind == "GeneratorState" ? [:] : ["status": [:]]))
        }
    }

    @Test func clusterGeneratorKeepsKindsNotRunHereAsWritten() throws {
        let generator = try #require(
            ClusterGenerator.openAPISchema.json["properties"]?["spec"]?["properties"]?["generator"])
        let members = try #require(generator["properties"]?.objectValue)
        #expect(members.count == ClusterGenerator.memberByKind.count)
        for typed in [
            "passwordSpec", "uuidSpec", "sshKeySpec", "fakeSpec", "mfaSpec", "vaultDynamicSecretSpec", "webhookSpec",
            "githubAccessTokenSpec", "quayAccessTokenSpec", "grafanaSpec",
        ] {
            #expect(members[typed]?["x-kubernetes-preserve-unknown-fields"] == nil, "\(typed)")
        }
        #expect(members["acrAccessTokenSpec"]?["x-kubernetes-preserve-unknown-fields"] == true)
        #expect(generator["minProperties"] == 1 && generator["maxProperties"] == 1)
    }

    @Test func unsupportedProvidersKeepUnknownFields() throws {
        let providers = try #require(SecretStore.openAPISchema.json["properties"]?["spec"]?["properties"]?["provider"])
        let names = try #require(providers["properties"]?.objectValue)
        #expect(names.keys.sorted() == SecretStoreProvider.esoProviders.map(\.name).sorted())
        for name in SecretStoreProvider.untypedProviderNames {
            #expect(names[name]?["x-kubernetes-preserve-unknown-fields"] == true, "\(name)")
            #expect(names[name]?["type"] == "object", "\(name)")
        }
        for name in SecretStoreProvider.typedProviderNames {
            #expect(names[name]?["x-kubernetes-preserve-unknown-fields"] == nil, "\(name)")
        }
        #expect(providers["minProperties"] == 1 && providers["maxProperties"] == 1)
    }

    @Test func externalSecretDefaultsAreESOs() throws {
        let spec = try #require(ExternalSecret.openAPISchema.json["properties"]?["spec"])
        #expect(spec["properties"]?["refreshInterval"]?["default"] == "1h0m0s")
        #expect(spec["properties"]?["target"]?["default"] == ["creationPolicy": "Owner", "deletionPolicy": "Retain"])
        let template = try #require(spec["properties"]?["target"]?["properties"]?["template"]?["properties"])
        #expect(template["engineVersion"]?["default"] == "v2")
        #expect(template["mergePolicy"]?["default"] == "Replace")
    }

    @Test func junctorsRefuseFieldsTheSkeletonLacks() {
        var schema = OpenAPISchema.object("x", properties: ["a": .string("a")])
        schema.anyOf = [.required("b"), SchemaValidation(properties: ["c": .required("d")])]
        #expect(
            schema.structuralErrors() == [
                ".b: required in a junctor but not declared outside it",
                ".c: named in a junctor but not declared outside it",
            ])
        let untyped = OpenAPISchema.object("x", properties: ["a": OpenAPISchema(type: nil, description: "a")])
        #expect(untyped.structuralErrors() == [".a: no type"])
        let badDefault = OpenAPISchema.string("a").defaulted(1)
        #expect(badDefault.structuralErrors() == [": value 1 does not have type string"])
    }

    @Test func intOrStringRendersAsKubernetesWritesIt() {
        #expect(
            OpenAPISchema.intOrString("n").json == [
                "description": "n", "x-kubernetes-int-or-string": true,
                "anyOf": [["type": "integer"], ["type": "string"]],
            ])
    }
}

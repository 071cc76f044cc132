public import KubeModel

/// The CustomResourceDefinitions of the kinds this operator serves, generated from the Swift API
/// types' schemas, with ESO's names, versions, printer columns and labels.
///
/// Caveat: ESO also lists a `v1beta1` version (neither served nor stored) in these CRDs; it is left
/// out here. A cluster that still has objects stored as v1beta1 must migrate them before switching.
public enum ExternalSecretsCRDs {
    /// Every CRD, in the order they are installed.
    public static var all: [CustomResourceDefinition] {
        [externalSecret, secretStore, clusterSecretStore, pushSecret, clusterExternalSecret, clusterPushSecret]
            + generators
    }

    /// The CRDs of `generators.external-secrets.io`: the generator kinds this operator runs,
    /// ClusterGenerator and GeneratorState.
    public static var generators: [CustomResourceDefinition] {
        [
            generator(PasswordSpec.self), generator(UUIDSpec.self), generator(SSHKeySpec.self),
            generator(FakeSpec.self), generator(MFASpec.self), generator(ECRAuthorizationTokenSpec.self),
            generator(STSSessionTokenSpec.self), clusterGenerator, generatorState,
            generator(WebhookSpec.self), generator(GithubAccessTokenSpec.self), generator(QuayAccessTokenSpec.self),
            generator(GrafanaSpec.self),
            generator(VaultDynamicSecretSpec.self),
        ]
    }

    static func generator<Spec: GeneratorSpec>(_ spec: Spec.Type) -> CustomResourceDefinition {
        definition(
            for: Generator<Spec>.resource, shortName: nil, schema: Generator<Spec>.openAPISchema, printerColumns: [],
            categories: GeneratorsAPIGroup.categories)
    }

    public static var clusterGenerator: CustomResourceDefinition {
        definition(
            for: ClusterGenerator.resource, shortName: nil, schema: ClusterGenerator.openAPISchema, printerColumns: [],
            categories: GeneratorsAPIGroup.categories)
    }

    /// ESO gives GeneratorState no status subresource: its conditions are written with the object.
    public static var generatorState: CustomResourceDefinition {
        definition(
            for: GeneratorState.resource, shortName: "gs", schema: GeneratorState.openAPISchema,
            printerColumns: [
                PrinterColumn(name: "GC Deadline", type: "string", jsonPath: ".spec.garbageCollectionDeadline"),
                PrinterColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp"),
            ],
            categories: GeneratorsAPIGroup.categories, statusSubresource: false)
    }

    public static var externalSecret: CustomResourceDefinition {
        definition(
            for: ExternalSecret.resource, shortName: "es", schema: ExternalSecret.openAPISchema,
            printerColumns: [
                PrinterColumn(name: "StoreType", type: "string", jsonPath: ".spec.secretStoreRef.kind"),
                PrinterColumn(name: "Store", type: "string", jsonPath: ".spec.secretStoreRef.name"),
                PrinterColumn(name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshInterval"),
                .readyReason, .readyStatus,
                PrinterColumn(name: "Last Sync", type: "date", jsonPath: ".status.refreshTime"),
            ])
    }

    public static var secretStore: CustomResourceDefinition {
        definition(
            for: SecretStore.resource, shortName: "ss", schema: SecretStore.openAPISchema,
            printerColumns: storeColumns)
    }

    public static var clusterSecretStore: CustomResourceDefinition {
        definition(
            for: ClusterSecretStore.resource, shortName: "css", schema: ClusterSecretStore.openAPISchema,
            printerColumns: storeColumns)
    }

    public static var pushSecret: CustomResourceDefinition {
        definition(
            for: PushSecret.resource, shortName: "ps", schema: PushSecret.openAPISchema,
            printerColumns: [
                PrinterColumn(name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp"),
                .readyReason,
                PrinterColumn(name: "Last Sync", type: "date", jsonPath: ".status.refreshTime"),
            ])
    }

    public static var clusterExternalSecret: CustomResourceDefinition {
        definition(
            for: ClusterExternalSecret.resource, shortName: "ces", schema: ClusterExternalSecret.openAPISchema,
            printerColumns: [
                PrinterColumn(name: "Store", type: "string", jsonPath: ".spec.externalSecretSpec.secretStoreRef.name"),
                PrinterColumn(name: "Refresh Interval", type: "string", jsonPath: ".spec.refreshTime"),
                .readyStatus,
            ])
    }

    /// ESO gives ClusterPushSecret no short name.
    public static var clusterPushSecret: CustomResourceDefinition {
        definition(
            for: ClusterPushSecret.resource, shortName: nil, schema: ClusterPushSecret.openAPISchema,
            printerColumns: [
                PrinterColumn(name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp"),
                .readyReason,
            ])
    }

    private static let storeColumns: [PrinterColumn] = [
        PrinterColumn(name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp"),
        .readyReason,
        PrinterColumn(name: "Capabilities", type: "string", jsonPath: ".status.capabilities"),
        .readyStatus,
    ]

    private static func definition(
        for resource: ResourceDescriptor, shortName: String?, schema: OpenAPISchema, printerColumns: [PrinterColumn],
        categories: [String] = [ExternalSecretsAPIGroup.category], statusSubresource: Bool = true
    ) -> CustomResourceDefinition {
        let (labelKey, labelValue) = ExternalSecretsAPIGroup.componentLabel
        let version = CustomResourceDefinitionVersion(
            name: resource.version, served: true, storage: true,
            schema: CustomResourceValidation(openAPIV3Schema: schema.json),
            subresources: statusSubresource ? ["status": [:]] : [:],
            additionalPrinterColumns: printerColumns.isEmpty ? nil : printerColumns.map(\.json))
        return CustomResourceDefinition(
            metadata: ObjectMeta(name: "\(resource.plural).\(resource.group)", labels: [labelKey: labelValue]),
            spec: CustomResourceDefinitionSpec(
                group: resource.group,
                names: CustomResourceDefinitionNames(
                    plural: resource.plural, singular: resource.kind.lowercased(), kind: resource.kind,
                    listKind: "\(resource.kind)List", shortNames: shortName.map { [$0] },
                    categories: categories),
                scope: resource.namespaced ? "Namespaced" : "Cluster",
                versions: [version]))
    }
}

/// One column of `kubectl get` output for a custom resource.
struct PrinterColumn {
    var name: String
    /// `string`, `integer`, `number`, `boolean` or `date`.
    var type: String
    var jsonPath: String

    static let readyReason = PrinterColumn(
        name: "Status", type: "string", jsonPath: #".status.conditions[?(@.type=="Ready")].reason"#)
    static let readyStatus = PrinterColumn(
        name: "Ready", type: "string", jsonPath: #".status.conditions[?(@.type=="Ready")].status"#)

    var json: JSONValue { ["name": .string(name), "type": .string(type), "jsonPath": .string(jsonPath)] }
}

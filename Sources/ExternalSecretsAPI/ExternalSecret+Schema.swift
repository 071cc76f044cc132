import KubeModel

// The OpenAPI schema of `external-secrets.io/v1` ExternalSecret. The descriptions are what
// `kubectl explain externalsecret.spec...` prints.

extension ExternalSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            An ExternalSecret says which values to read from an external secret manager, through a \
            SecretStore or ClusterSecretStore, and how to write them into one Kubernetes Secret. The \
            operator keeps that Secret in sync with the manager.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": ExternalSecretSpec.openAPISchema,
                "status": ExternalSecretStatus.openAPISchema,
            ],
            // ESO's schema leaves spec optional, but its webhook refuses an ExternalSecret without
            // data or dataFrom, so no object it accepts lacks a spec; the Swift type needs one.
            required: ["spec"])
    }
}

extension ExternalSecretSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            What to fetch and where to write it. At least one of `data` and `dataFrom` must list \
            something.
            """,
            properties: [
                "secretStoreRef": SecretStoreRef.openAPISchema.described(
                    """
                    The SecretStore or ClusterSecretStore to read from, unless an entry names another \
                    source in its `sourceRef`.
                    """),
                "target": ExternalSecretTarget.openAPISchema.defaulted([
                    "creationPolicy": .string(CreationPolicy.owner.rawValue),
                    "deletionPolicy": .string(DeletionPolicy.retain.rawValue),
                ]),
                "refreshInterval": .string(
                    """
                    How often the values are read again from the provider, as a Go duration such as \
                    `1h0m0s`, `30m` or `10s` (units ns, us, ms, s, m, h). `0s` reads them once and \
                    never again. Defaults to one hour.
                    """
                ).defaulted("1h0m0s"),
                "refreshPolicy": .string(
                    """
                    When the Secret is refreshed. `Periodic` (the behaviour when unset): every \
                    `refreshInterval`, never if it is 0. `CreatedOnce`: only when the Secret is first \
                    created. `OnChange`: only when the ExternalSecret's spec, labels or annotations \
                    change.
                    """, allowing: RefreshPolicy.self),
                "data": .array(
                    "Single values to fetch, each written to one key of the Secret. They win over keys from `dataFrom`.",
                    of: ExternalSecretData.openAPISchema),
                "dataFrom": .array(
                    """
                    Sources that each produce many keys: a remote secret split into its fields \
                    (`extract`), every remote secret matching a search (`find`), or a generator. \
                    Entries are applied in order; a later entry's key replaces an earlier one's.
                    """,
                    of: ExternalSecretDataFromRemoteRef.openAPISchema),
                "syncWindows": syncWindowsSchema,
            ]
        ).anyOf(
            SchemaValidation(required: ["data"], properties: ["data": SchemaValidation(minItems: 1)]),
            SchemaValidation(required: ["dataFrom"], properties: ["dataFrom": SchemaValidation(minItems: 1)])
        )
    }

    /// `spec.syncWindows`: the Swift type keeps it as raw JSON, the schema describes ESO's shape.
    static var syncWindowsSchema: OpenAPISchema {
        .object(
            """
            Limits the times at which periodic refreshes may happen, evaluated in UTC. Applies only \
            to the `Periodic` refresh policy (or no policy). This operator accepts and keeps the \
            field; it does not act on it yet.
            """,
            properties: [
                "kind": .string(
                    """
                    How the windows are read. `allow`: refreshes happen only while at least one \
                    window is open. `deny`: refreshes are blocked while any window is open.
                    """, allowing: ["allow", "deny"]),
                "windows": .array(
                    "The windows, each a schedule at which it opens and how long it stays open.",
                    of: .object(
                        "One window: when it opens and for how long.",
                        properties: [
                            "schedule": .string(
                                """
                                When the window opens: a five-field cron expression in UTC, such as \
                                `0 22 * * 1-5` (weekdays at 22:00), or a shorthand such as `@daily` or \
                                `@every 1h`.
                                """
                            ).pattern(
                                #"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\s]+.*|[^\s]+( [^\s]+){4})$"#
                            )
                            .length(min: 1),
                            "duration": .string("How long the window stays open, as a Go duration such as `8h`."),
                        ],
                        required: ["schedule", "duration"])
                ).items(min: 1),
            ],
            required: ["kind", "windows"])
    }
}

extension SecretStoreRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A reference to a SecretStore in the same namespace or to a ClusterSecretStore.",
            properties: [
                "name": .resourceName("The name of the store."),
                "kind": .string(
                    "`SecretStore` (the default when unset) or `ClusterSecretStore`.", allowing: StoreKind.self),
            ])
    }
}

// MARK: - Target

extension ExternalSecretTarget: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            The Kubernetes Secret the operator writes, and how it owns it. Not every pair of policies \
            is allowed: `deletionPolicy: Delete` needs a creationPolicy under which the operator \
            creates the Secret (not `Merge` or `None`), and `deletionPolicy: Merge` cannot be used \
            with `creationPolicy: None`.
            """,
            properties: [
                "name": .resourceName("The name of the Secret. Defaults to the name of the ExternalSecret."),
                "creationPolicy": .string(
                    """
                    How the Secret is created. `Owner` (default): the operator creates it and makes the \
                    ExternalSecret its owner, so it is deleted with the ExternalSecret. `Orphan`: the \
                    operator creates and updates it but does not own it. `Merge`: the operator only \
                    adds its keys to a Secret that already exists. `CreateOrMerge`: like Merge, but \
                    creates the Secret when it is missing. `None`: nothing is written.
                    """, allowing: CreationPolicy.self
                ).defaulted(.string(CreationPolicy.owner.rawValue)),
                "deletionPolicy": .string(
                    """
                    What happens to the Secret when the provider no longer has the values. `Retain` \
                    (default): the Secret is kept as it is. `Delete`: the Secret is deleted. `Merge`: \
                    only the keys the operator wrote are removed.
                    """, allowing: DeletionPolicy.self
                ).defaulted(.string(DeletionPolicy.retain.rawValue)),
                "template": ExternalSecretTemplate.openAPISchema,
                "manifest": .object(
                    """
                    Another kind of object to write instead of a Secret (for example a ConfigMap). \
                    This operator accepts and keeps the field but writes only Secrets.
                    """,
                    properties: [
                        "apiVersion": .string("The apiVersion of the object to write, such as `v1`.").length(min: 1),
                        "kind": .string("The kind of the object to write, such as `ConfigMap`.").length(min: 1),
                    ],
                    required: ["apiVersion", "kind"]),
                "immutable": .boolean(
                    "Whether the Secret is written as immutable. Its data can then never change; a new value is an error."
                ),
            ]
        ).allOf(
            .not(policies(deletion: .delete, creation: [.merge, .none])),
            .not(policies(deletion: .merge, creation: [.none]))
        )
    }

    /// Matches a target whose deletionPolicy is `deletion` and whose creationPolicy is one of
    /// `creation`. Both fields are defaulted before validation, so they are always present.
    private static func policies(deletion: DeletionPolicy, creation: [CreationPolicy]) -> SchemaValidation {
        SchemaValidation(
            required: ["deletionPolicy", "creationPolicy"],
            properties: [
                "deletionPolicy": .allowing(deletion.rawValue),
                "creationPolicy": SchemaValidation(allowedValues: creation.map { .string($0.rawValue) }),
            ])
    }
}

extension ExternalSecretTemplate: OpenAPISchemaDescribed {
    /// Secret types that make Kubernetes mint credentials into the Secret; an ExternalSecret must
    /// not be able to ask for them.
    public static let forbiddenSecretTypes = ["kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token"]

    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A blueprint for the Secret: Go templates that compute its data, labels and annotations \
            from the fetched values, and its type.
            """,
            properties: [
                "type": .string(
                    """
                    The type of the Secret, such as `Opaque` or `kubernetes.io/tls`. \
                    `kubernetes.io/service-account-token` and `bootstrap.kubernetes.io/token` are \
                    refused, because Kubernetes would put credentials into such a Secret.
                    """
                ).not(SchemaValidation(allowedValues: forbiddenSecretTypes.map { .string($0) })),
                "engineVersion": .string(
                    "The template engine version. Only `v2` (Go text/template with ESO's functions) exists.",
                    allowing: ["v2"]
                ).defaulted("v2"),
                "metadata": ExternalSecretTemplateMetadata.openAPISchema,
                "mergePolicy": .string(
                    """
                    How the rendered template combines with the fetched values. `Replace` (default): \
                    the Secret holds only what the template renders. `Merge`: the rendered keys are \
                    added to the fetched keys.
                    """, allowing: TemplateMergePolicy.self
                ).defaulted(.string(TemplateMergePolicy.replace.rawValue)),
                "data": .stringMap(
                    "Templates by Secret key: each value is rendered and written to its key."),
                "templateFrom": .array(
                    "Templates read from ConfigMaps, Secrets or given literally, rendered in order.",
                    of: TemplateFrom.openAPISchema),
            ])
    }
}

extension ExternalSecretTemplateMetadata: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Labels, annotations and finalizers to put on the Secret. Values may be templates.",
            properties: [
                "annotations": .stringMap("Annotations to put on the Secret."),
                "labels": .stringMap("Labels to put on the Secret."),
                "finalizers": .array("Finalizers to put on the Secret.", of: .string(nil)),
            ])
    }
}

extension TemplateFrom: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One source of templates: keys of a ConfigMap, keys of a Secret, or a literal template.",
            properties: [
                "configMap": TemplateRef.openAPISchema.described(
                    "A ConfigMap in the ExternalSecret's namespace whose keys hold templates."),
                "secret": TemplateRef.openAPISchema.described(
                    "A Secret in the ExternalSecret's namespace whose keys hold templates."),
                "target": .string(
                    """
                    Where the rendered result goes: `Data` (default), `Annotations` or `Labels` of the \
                    Secret.
                    """
                ).defaulted("Data"),
                "literal": .string("A template given inline."),
                "valuesDecodingStrategy": .string(
                    "How the rendered values are decoded before they are written. Defaults to `None`.",
                    allowing: DecodingStrategy.self),
            ])
    }
}

extension TemplateRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A ConfigMap or Secret whose keys hold templates.",
            properties: [
                "name": .resourceName("The name of the ConfigMap or Secret."),
                "items": .array("The keys to use as templates.", of: TemplateRefItem.openAPISchema),
            ],
            required: ["name", "items"])
    }
}

extension TemplateRefItem: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One key of a ConfigMap or Secret used as a template.",
            properties: [
                "key": .secretKey("The key."),
                "templateAs": .string(
                    """
                    How the key is used. `Values` (default): its value is one template, written to the \
                    key of the same name. `KeysAndValues`: its value is YAML whose keys and values are \
                    both templates.
                    """, allowing: ["Values", "KeysAndValues"]
                ).defaulted("Values"),
            ],
            required: ["key"])
    }
}

// MARK: - data

extension ExternalSecretData: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One key of the Secret, filled from one remote value.",
            properties: [
                "secretKey": .secretKey("The key of the Secret the value is written to."),
                "remoteRef": ExternalSecretDataRemoteRef.openAPISchema,
                "sourceRef": StoreSourceRef.openAPISchema.described(
                    "Reads this value from another store than `spec.secretStoreRef`."),
            ],
            required: ["secretKey", "remoteRef"])
    }
}

extension ExternalSecretDataRemoteRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which remote secret to read, and which version and property of it.",
            properties: [
                "key": .string("The name or path of the secret in the provider."),
                "property": .string(
                    """
                    One field of the remote secret, when it is a JSON object: a gjson path such as \
                    `db.password`. Without it the whole value is used.
                    """),
                "version": .string(
                    "A version of the remote secret, for providers that keep versions. Defaults to the latest."),
                "metadataPolicy": .string(
                    """
                    `Fetch` reads the secret's metadata (tags or labels) instead of its value, for \
                    providers that have metadata. Defaults to `None`.
                    """, allowing: MetadataPolicy.self),
                "conversionStrategy": .string(
                    """
                    How keys are made valid Secret keys. `Default`: characters other than letters, \
                    digits, `-`, `.` and `_` become `_`. `Unicode`: they become `_U` and their code \
                    point in hex. Defaults to `Default`.
                    """, allowing: ConversionStrategy.self),
                "decodingStrategy": .string(
                    """
                    How the value is decoded before it is written. `Base64`, `Base64URL`, `Auto` \
                    (base64 of either alphabet if the value is valid base64, else as is) or `None` \
                    (the default).
                    """, allowing: DecodingStrategy.self),
                "nullBytePolicy": .string(
                    "What to do with a value that contains NUL bytes: `Ignore` it or `Fail` the sync.",
                    allowing: NullBytePolicy.self),
            ],
            required: ["key"])
    }
}

extension StoreSourceRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Another source for one entry: a different store, or a generator. Exactly one of the two.",
            properties: [
                "storeRef": SecretStoreRef.openAPISchema.described("The store to read this entry from."),
                "generatorRef": GeneratorRef.openAPISchema,
            ]
        ).properties(min: 1, max: 1)
    }
}

extension GeneratorRef: OpenAPISchemaDescribed {
    /// The generator kinds ESO's `generatorRef.kind` accepts.
    public static let esoGeneratorKinds = [
        "ACRAccessToken", "BeyondtrustWorkloadCredentialsDynamicSecret", "ClusterGenerator", "CloudsmithAccessToken",
        "ECRAuthorizationToken", "Fake", "GCRAccessToken", "GithubAccessToken", "GitlabDeployToken", "QuayAccessToken",
        "Password", "SSHKey", "STSSessionToken", "UUID", "VaultDynamicSecret", "Webhook", "Grafana", "MFA",
    ]

    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A generator object that produces the values (a password, a token, ...). In `data` \
            entries ESO never implemented it; use it in `dataFrom`.
            """,
            properties: [
                "apiVersion": .string("The apiVersion of the generator.").defaulted(
                    "generators.external-secrets.io/v1alpha1"),
                "kind": .string("The kind of the generator.", allowing: esoGeneratorKinds),
                "name": .resourceName(
                    "The name of the generator, in the ExternalSecret's namespace unless cluster-wide."),
            ],
            required: ["kind", "name"])
    }
}

// MARK: - dataFrom

extension ExternalSecretDataFromRemoteRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            One source of many keys. Set exactly one of `extract`, `find` and \
            `sourceRef.generatorRef`; `sourceRef.storeRef` may be added to `extract` or `find` to read \
            from another store.
            """,
            properties: [
                "extract": ExternalSecretDataRemoteRef.openAPISchema.described(
                    """
                    A remote secret holding a JSON object: each of its fields becomes one key of the \
                    Secret (string values as they are, other values as JSON text).
                    """),
                "find": ExternalSecretFind.openAPISchema,
                "rewrite": .array(
                    "Changes to the keys found, applied one after another in the order given.",
                    of: ExternalSecretRewrite.openAPISchema),
                "sourceRef": StoreSourceRef.openAPISchema.described(
                    "Reads this entry from another store, or produces it with a generator."),
            ]
        ).allOf(
            // At most one of extract, find and sourceRef.generatorRef.
            .not(
                .anyOf(
                    .required("extract", "find"),
                    SchemaValidation(
                        required: ["extract", "sourceRef"], properties: ["sourceRef": .required("generatorRef")]),
                    SchemaValidation(
                        required: ["find", "sourceRef"], properties: ["sourceRef": .required("generatorRef")])
                )),
            // At least one of extract, find and sourceRef.
            .anyOf(.required("extract"), .required("find"), .required("sourceRef"))
        )
    }
}

extension ExternalSecretFind: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Selects every remote secret that matches all the criteria set; each becomes one key of \
            the Secret, named after the remote secret. Cannot be combined with a generator.
            """,
            properties: [
                "path": .string("Searches only below this path, for providers with paths."),
                "name": FindName.openAPISchema,
                "tags": .stringMap("Tags (or labels) the remote secrets must carry, with these values."),
                "conversionStrategy": .string(
                    """
                    How remote names are made valid Secret keys. `Default`: characters other than \
                    letters, digits, `-`, `.` and `_` become `_`. `Unicode`: they become `_U` and \
                    their code point in hex. Defaults to `Default`.
                    """, allowing: ConversionStrategy.self),
                "decodingStrategy": .string(
                    "How the values are decoded before they are written: `Base64`, `Base64URL`, `Auto` or `None` (default).",
                    allowing: DecodingStrategy.self),
                "nullBytePolicy": .string(
                    "What to do with values that contain NUL bytes: `Ignore` them or `Fail` the sync.",
                    allowing: NullBytePolicy.self),
            ])
    }
}

extension FindName: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Selects remote secrets by name.",
            properties: ["regexp": .string("A regular expression the name must match.")])
    }
}

extension ExternalSecretRewrite: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One change to the keys: exactly one of `regexp`, `transform` and `merge`.",
            properties: [
                "regexp": RewriteRegexp.openAPISchema,
                "transform": RewriteTransform.openAPISchema,
                "merge": RewriteMerge.openAPISchema,
            ]
        ).properties(min: 1, max: 1)
    }
}

extension RewriteRegexp: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Renames keys by replacing every match of a regular expression.",
            properties: [
                "source": .string("The regular expression (Go RE2 syntax) to look for in each key."),
                "target": .string("The replacement; `$1`, `${name}` refer to groups of the expression."),
            ],
            required: ["source", "target"])
    }
}

extension RewriteTransform: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Renames keys with a template.",
            properties: [
                "template": .string("A Go template that renders the new key; `.value` is the old key.")
            ],
            required: ["template"])
    }
}

extension RewriteMerge: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Merges the JSON objects held by several keys into one set of keys.",
            properties: [
                // ESO defaults this to "", which Kubernetes 1.20 refuses in a CRD (it reads an
                // empty-string default as null); unset means the same.
                "into": .string(
                    "The key that receives the merged object. Needed with strategy `JSON`, ignored otherwise."),
                "priority": .array(
                    "Keys whose values win a conflict, the last one winning over the ones before it.",
                    of: .string(nil)),
                "priorityPolicy": .string(
                    """
                    What to do when a key named in `priority` is missing: `Strict` (default) fails, \
                    `IgnoreNotFound` skips it.
                    """, allowing: ["IgnoreNotFound", "Strict"]
                ).defaulted("Strict"),
                "conflictPolicy": .string(
                    """
                    What to do when two objects have the same field with different values and \
                    `priority` does not decide: `Error` (default) fails, `Ignore` keeps one of them.
                    """, allowing: ["Ignore", "Error"]
                ).defaulted("Error"),
                "strategy": .string(
                    """
                    `Extract` (default): every field of the merged object becomes a key. `JSON`: the \
                    merged object is written as JSON to the key `into`.
                    """, allowing: ["Extract", "JSON"]
                ).defaulted("Extract"),
            ])
    }
}

// MARK: - Status

extension ExternalSecretStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last observed and did. Written by the operator only.",
            properties: [
                "refreshTime": .string("When the values were last fetched and the Secret written.", format: .dateTime)
                    .nullable(),
                "syncedResourceVersion": .string(
                    "The version of the ExternalSecret (generation and a hash of its labels and annotations) last synced."
                ),
                "conditions": .array(
                    "The `Ready` condition (and `Deleted` while the Secret is being removed).",
                    of: StatusCondition.schema(types: ["Ready", "Deleted"])),
                "binding": SecretBinding.openAPISchema,
            ])
    }
}

extension SecretBinding: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The Secret this ExternalSecret writes, as a servicebinding.io provisioned service names it.",
            // ESO defaults name to "", which Kubernetes 1.20 refuses in a CRD; unset means the same.
            properties: ["name": .string("The name of the Secret.")]
        ).mapType(.atomic)
    }
}

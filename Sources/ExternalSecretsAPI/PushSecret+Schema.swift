import KubeModel

// The OpenAPI schema of `external-secrets.io/v1alpha1` PushSecret. The descriptions are what
// `kubectl explain pushsecret.spec...` prints.

extension PushSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A PushSecret writes keys of a Kubernetes Secret in its namespace to external secret \
            managers, through SecretStores or ClusterSecretStores, and writes them again when they \
            change. Remote secrets it creates are marked `managed-by: external-secrets`; a remote \
            secret without that mark is never overwritten or deleted.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": PushSecretSpec.openAPISchema,
                "status": PushSecretStatus.openAPISchema,
            ],
            // ESO's schema leaves spec optional, but a PushSecret without one pushes nothing; the
            // Swift type needs one.
            required: ["spec"])
    }
}

extension PushSecretSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What to push, where to, and what happens to the remote secrets later.",
            properties: [
                "refreshInterval": .string(
                    """
                    How often the values are pushed again, as a Go duration such as `1h0m0s` or \
                    `30s`. `0s` pushes when the PushSecret changes and never periodically. Defaults \
                    to one hour.
                    """
                ).defaulted("1h0m0s"),
                "secretStoreRefs": .array(
                    "The stores to push to. Each is named, or selected by labels.",
                    of: PushSecretStoreRef.openAPISchema),
                "updatePolicy": .string(
                    """
                    `Replace` (the default) writes the value whether or not the remote secret \
                    exists; `IfNotExists` writes only remote secrets that do not exist yet.
                    """, allowing: PushSecretUpdatePolicy.self
                ).defaulted(.string(PushSecretUpdatePolicy.replace.rawValue)),
                "deletionPolicy": .string(
                    """
                    `None` (the default) leaves remote secrets in place. `Delete` deletes the remote \
                    secrets this PushSecret wrote when the PushSecret is deleted or an entry is \
                    removed from `data`. Changing `secretStoreRefs` never deletes anything from the \
                    store that is no longer listed.
                    """, allowing: PushSecretDeletionPolicy.self
                ).defaulted(.string(PushSecretDeletionPolicy.none.rawValue)),
                "selector": PushSecretSelector.openAPISchema,
                "data": .array(
                    "Keys of the source Secret to push, each to one remote secret or property.",
                    of: PushSecretData.openAPISchema),
                "dataTo": .array(
                    """
                    Many keys of the source Secret at once: each matching key to a remote secret \
                    of its own name (after `rewrite`), or all of them bundled into `remoteKey`.
                    """,
                    of: PushSecretDataTo.openAPISchema),
                "template": ExternalSecretTemplate.openAPISchema.described(
                    "A template applied to the source Secret before its keys are pushed."),
            ],
            required: ["secretStoreRefs", "selector"])
    }
}

extension PushSecretStoreRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A store to push to: by name, or every store of `kind` whose labels match `labelSelector`.",
            properties: [
                "name": .resourceName("The name of the store."),
                "kind": .string(
                    "`SecretStore` (the default) or `ClusterSecretStore`.", allowing: StoreKind.self
                ).defaulted(.string(StoreKind.secretStore.rawValue)),
                "labelSelector": LabelSelector.openAPISchema.described(
                    "Selects stores of `kind` by their labels, instead of a name.").mapType(.atomic),
            ])
    }
}

extension PushSecretSelector: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Where the pushed values come from: exactly one of `secret` and `generatorRef`.",
            properties: [
                "secret": .object(
                    "A Secret in the PushSecret's namespace.",
                    properties: [
                        "name": .resourceName("The name of the Secret, in the PushSecret's namespace."),
                        "selector": LabelSelector.openAPISchema.described(
                            "Selects Secrets of the PushSecret's namespace by their labels, instead of a name."
                        ).mapType(.atomic),
                    ]),
                "generatorRef": GeneratorRef.openAPISchema.described(
                    """
                    A generator in the PushSecret's namespace (or a ClusterGenerator) whose output is \
                    pushed; generated again at every push.
                    """),
            ]
        ).properties(min: 1, max: 1)
    }
}

extension PushSecretData: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One key of the source Secret pushed to one remote secret, or to one property of it.",
            properties: [
                "match": PushSecretMatch.openAPISchema,
                "metadata": .anyValue(
                    """
                    Provider-specific settings of the remote secret, such as tags or custom \
                    metadata. See the provider's documentation.
                    """),
                "conversionStrategy": PushSecretConversionStrategy.schema,
            ],
            required: ["match"])
    }
}

extension PushSecretConversionStrategy {
    static var schema: OpenAPISchema {
        .string(
            """
            `None` (the default) pushes keys as they are; `ReverseUnicode` turns `_U<hex>_` \
            sequences in keys back into the characters an ExternalSecret's `Unicode` conversion \
            replaced.
            """, allowing: PushSecretConversionStrategy.self
        ).defaulted(.string(PushSecretConversionStrategy.none.rawValue))
    }
}

extension PushSecretMatch: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which key to push and where to.",
            properties: [
                "secretKey": .string(
                    "The key of the source Secret. Unset pushes every key of the Secret as one remote secret."),
                "remoteRef": PushSecretRemoteRef.openAPISchema,
            ],
            required: ["remoteRef"])
    }
}

extension PushSecretRemoteRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The remote secret written.",
            properties: [
                "remoteKey": .string("The name of the remote secret."),
                "property": .string(
                    "A field of the remote secret, which is then a JSON object; the other fields are kept."),
            ],
            required: ["remoteKey"])
    }
}

extension PushSecretDataTo: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Many keys of the source Secret pushed to one store. Needs a `storeRef` (a name or a \
            label selector); `remoteKey` and `rewrite` cannot be used together.
            """,
            properties: [
                "storeRef": PushSecretStoreRef.openAPISchema.described(
                    "The store to push to; it must also be listed in `secretStoreRefs`."),
                "remoteKey": .string(
                    """
                    The remote secret that receives all matched keys as one JSON object. Unset \
                    pushes each matched key as a remote secret of its own name.
                    """),
                "match": .object(
                    "Which keys of the source Secret to push. Unset matches every key.",
                    properties: [
                        "regexp": .string("Keys matching this regular expression are pushed; unset matches every key.")
                    ]),
                "rewrite": .array(
                    "Rewrites of the key names before they become remote names, applied in order.",
                    of: .object(
                        "One rewrite: exactly one of `regexp` and `transform`.",
                        properties: [
                            "regexp": RewriteRegexp.openAPISchema,
                            "transform": RewriteTransform.openAPISchema,
                        ]
                    ).oneOf(.required("regexp"), .required("transform"))),
                "metadata": .anyValue(
                    "Provider-specific settings of the remote secrets. See the provider's documentation."),
                "conversionStrategy": PushSecretConversionStrategy.schema,
            ]
        ).allOf(
            // ESO states these two rules in CEL, which Kubernetes 1.20 does not know; the same
            // rules as structural validations (and again in the controller).
            SchemaValidation(
                required: ["storeRef"],
                properties: ["storeRef": .anyOf(.required("name"), .required("labelSelector"))]),
            .not(SchemaValidation(required: ["remoteKey", "rewrite"], properties: ["rewrite": SchemaValidation(minItems: 1)]))
        )
    }
}

extension PushSecretStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last observed and did. Written by the operator only; it never holds a value.",
            properties: [
                "refreshTime": .string("When the values were last pushed.", format: .dateTime).nullable(),
                "syncedResourceVersion": .string(
                    "The version of the PushSecret (generation and a hash of its labels and annotations) last pushed."),
                "syncedPushSecrets": .map(
                    "What was pushed, by `Kind/store-name`, then by `remoteKey` or `remoteKey/property`.",
                    values: .map("The entries pushed to one store.", values: PushSecretData.openAPISchema)),
                "conditions": .array("The `Ready` condition.", of: StatusCondition.openAPISchema),
            ])
    }
}

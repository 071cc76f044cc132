import KubeModel

// The OpenAPI schemas of `external-secrets.io/v1` ClusterExternalSecret and `v1alpha1`
// ClusterPushSecret. The descriptions are what `kubectl explain` prints.

extension ClusterExternalSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A ClusterExternalSecret creates one ExternalSecret, with the same spec, in every \
            namespace its selectors choose, and keeps that set current as namespaces come, go or \
            change their labels. The ExternalSecrets are owned by it and deleted with it. It puts no \
            finalizer on any namespace.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": ClusterExternalSecretSpec.openAPISchema,
                "status": ClusterExternalSecretStatus.openAPISchema,
            ],
            // ESO's schema leaves spec optional, but it requires externalSecretSpec inside it.
            required: ["spec"])
    }
}

extension ClusterExternalSecretSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which namespaces get an ExternalSecret, and what it looks like.",
            properties: [
                "externalSecretSpec": ExternalSecretSpec.openAPISchema.described(
                    "The spec of the ExternalSecret created in each chosen namespace."),
                "externalSecretName": .resourceName(
                    """
                    The name of the ExternalSecrets created. Defaults to the name of the \
                    ClusterExternalSecret. Renaming deletes the ExternalSecrets of the old name.
                    """),
                "externalSecretMetadata": ChildMetadata.schema(of: "ExternalSecrets"),
                "namespaceSelector": LabelSelector.openAPISchema.described(
                    """
                    Deprecated: use namespaceSelectors. Namespaces whose labels match get an \
                    ExternalSecret; ORed with namespaceSelectors and namespaces.
                    """),
                "namespaceSelectors": .array(
                    """
                    Namespaces whose labels match any of these selectors get an ExternalSecret (the \
                    selectors are ORed). A namespace that stops matching loses it.
                    """,
                    of: LabelSelector.openAPISchema),
                "namespaces": .array(
                    """
                    Deprecated: use namespaceSelectors. Namespaces chosen by name, ORed with the \
                    selectors.
                    """,
                    of: .namespaceName("The name of a namespace.")),
                "refreshTime": refreshTimeSchema,
            ],
            required: ["externalSecretSpec"])
    }

    static var refreshTimeSchema: OpenAPISchema {
        .string(
            """
            How often the namespaces are checked again, as a Go duration such as `1h`. Namespace \
            changes are seen at once anyway; this is a safety net. Defaults to one hour.
            """)
    }
}

extension ChildMetadata {
    static func schema(of kind: String) -> OpenAPISchema {
        .object(
            "Labels and annotations of the \(kind) created.",
            properties: [
                "annotations": .stringMap("Annotations of the \(kind) created."),
                "labels": .stringMap("Labels of the \(kind) created."),
            ])
    }
}

extension NamespaceFailure {
    static func schema(of kind: String) -> OpenAPISchema {
        .object(
            "A namespace in which the \(kind) could not be created or updated, and why.",
            properties: [
                "namespace": .string("The namespace."),
                "reason": .string("Why the \(kind) could not be created or updated there."),
            ],
            required: ["namespace"])
    }
}

extension ClusterExternalSecretStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last observed and did. Written by the operator only.",
            properties: [
                "externalSecretName": .string("The name of the ExternalSecrets created."),
                "failedNamespaces": .array(
                    "The namespaces whose ExternalSecret could not be created or updated, and why.",
                    of: NamespaceFailure.schema(of: "ExternalSecret")),
                "provisionedNamespaces": .array(
                    "The namespaces that hold this object's ExternalSecret.", of: .string(nil)),
                "conditions": .array(
                    "The `Ready` condition.",
                    of: .object(
                        "One observation about the object's state.",
                        properties: [
                            "type": .string("What the condition is about: `Ready`."),
                            "status": .string("Whether the condition holds: `True`, `False` or `Unknown`."),
                            "message": .string("A sentence for people explaining the condition."),
                        ],
                        required: ["status", "type"])),
            ])
    }
}

extension ClusterPushSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A ClusterPushSecret creates one PushSecret, with the same spec, in every namespace its \
            selectors choose, and keeps that set current as namespaces come, go or change their \
            labels. The PushSecrets are owned by it and deleted with it (each then follows its own \
            deletionPolicy). It puts no finalizer on any namespace.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": ClusterPushSecretSpec.openAPISchema,
                "status": ClusterPushSecretStatus.openAPISchema,
            ],
            required: ["spec"])
    }
}

extension ClusterPushSecretSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which namespaces get a PushSecret, and what it looks like.",
            properties: [
                "pushSecretSpec": PushSecretSpec.openAPISchema.described(
                    "The spec of the PushSecret created in each chosen namespace."),
                "pushSecretName": .resourceName(
                    """
                    The name of the PushSecrets created. Defaults to the name of the \
                    ClusterPushSecret. Renaming deletes the PushSecrets of the old name.
                    """),
                "pushSecretMetadata": ChildMetadata.schema(of: "PushSecrets"),
                "namespaceSelectors": .array(
                    """
                    Namespaces whose labels match any of these selectors get a PushSecret (the \
                    selectors are ORed). A namespace that stops matching loses it.
                    """,
                    of: LabelSelector.openAPISchema),
                "refreshTime": ClusterExternalSecretSpec.refreshTimeSchema,
            ],
            required: ["pushSecretSpec"])
    }
}

extension ClusterPushSecretStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last observed and did. Written by the operator only.",
            properties: [
                "pushSecretName": .string("The name of the PushSecrets created."),
                "failedNamespaces": .array(
                    "The namespaces whose PushSecret could not be created or updated, and why.",
                    of: NamespaceFailure.schema(of: "PushSecret")),
                "provisionedNamespaces": .array(
                    "The namespaces that hold this object's PushSecret.", of: .string(nil)),
                "conditions": .array(
                    "The `Ready` condition.",
                    of: .object(
                        "One observation about the object's state.",
                        properties: [
                            "type": .string("What the condition is about: `Ready`."),
                            "status": .string("Whether the condition holds: `True`, `False` or `Unknown`."),
                            "reason": .string("A one-word, CamelCase reason for the last change of the condition."),
                            "message": .string("A sentence for people explaining the condition."),
                            "lastTransitionTime": .string("When the status last changed.", format: .dateTime),
                        ],
                        required: ["status", "type"])),
            ])
    }
}

public import KubeModel

/// Field shapes several kinds share: Kubernetes names, Secret keys, the type-meta fields.
extension OpenAPISchema {
    /// A DNS subdomain, the shape of most Kubernetes object names (Secrets, ConfigMaps, stores).
    static func resourceName(_ description: String) -> OpenAPISchema {
        .string(description).pattern(#"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#)
            .length(min: 1, max: 253)
    }

    /// A DNS label, the shape of namespace names.
    static func namespaceName(_ description: String) -> OpenAPISchema {
        .string(description).pattern(#"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#).length(min: 1, max: 63)
    }

    /// A key of a Secret or ConfigMap.
    static func secretKey(_ description: String) -> OpenAPISchema {
        .string(description).pattern(#"^[-._a-zA-Z0-9]+$"#).length(min: 1, max: 253)
    }

    static var apiVersionField: OpenAPISchema {
        .string(
            """
            The version of the schema this object is written in, as `group/version` \
            (here `external-secrets.io/v1`). The API server uses it to interpret the object.
            """)
    }

    static var kindField: OpenAPISchema {
        .string(
            """
            The kind of object this is, in CamelCase. The API server fills it in from the endpoint \
            the object is sent to; it cannot be changed.
            """)
    }

    /// `metadata`: the API server validates ObjectMeta itself, so the CRD declares only its type.
    static var objectMetadata: OpenAPISchema {
        OpenAPISchema(type: .object, description: nil)
    }
}

// MARK: - Shared API types

extension StatusCondition: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema { schema(types: nil) }

    /// The condition's schema; `types` limits the condition types when the kind has a fixed set.
    static func schema(types: [String]?) -> OpenAPISchema {
        .object(
            "One observation about the object's state, such as whether it is ready.",
            properties: [
                "type": types.map { .string("What the condition is about.", allowing: $0) }
                    ?? .string("What the condition is about, for example `Ready`."),
                "status": .string("Whether the condition holds: `True`, `False` or `Unknown`."),
                "reason": .string("A one-word, CamelCase reason for the last change of the condition."),
                "message": .string("A sentence for people explaining the last change of the condition."),
                "lastTransitionTime": .string("When the status last changed.", format: .dateTime),
            ],
            required: ["type", "status"])
    }
}

extension LabelSelector: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Selects objects by their labels. Every requirement must hold (they are ANDed); an empty \
            selector selects everything.
            """,
            properties: [
                "matchLabels": .stringMap(
                    """
                    Labels that must be present with exactly these values. One entry is the same as a \
                    matchExpressions entry with operator In and that single value.
                    """),
                "matchExpressions": .array(
                    "Requirements on labels, all of which must hold.",
                    of: LabelSelectorRequirement.openAPISchema
                ).listType(.atomic),
            ]
        ).mapType(.atomic)
    }
}

extension LabelSelectorRequirement: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One requirement on a label: a key, an operator and, for In and NotIn, the values.",
            properties: [
                "key": .string("The label key the requirement is about."),
                "operator": .string(
                    "How the label relates to the values: `In`, `NotIn`, `Exists` or `DoesNotExist`."),
                "values": .array(
                    """
                    The values for `In` and `NotIn` (must not be empty for those); must be empty for \
                    `Exists` and `DoesNotExist`.
                    """,
                    of: .string(nil)
                ).listType(.atomic),
            ],
            required: ["key", "operator"])
    }
}

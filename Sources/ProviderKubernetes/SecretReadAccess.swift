import KubeClient
import KubeModel

/// Whether a store's credentials may read Secrets of its remote namespace, decided as ESO's
/// SecretStore validation decides it: a SelfSubjectRulesReview first, then a
/// SelfSubjectAccessReview.
///
/// The rules review is what lets a least-privilege Role pass: a rule granting `get` on `secrets`
/// only for named objects (`resourceNames`) grants no `get` on "any Secret", so an access review
/// without a name says no, but the rule shows up in the rules review.
enum SecretReadAccess {
    /// Does one of the caller's rules grant `get` on Secrets, whatever its `resourceNames`?
    /// `*` in verbs, resources or API groups counts; absent API groups mean the core group.
    ///
    /// False proves nothing (the list may be incomplete): ask an access review next.
    static func rulesGrantGet(_ status: SubjectRulesReviewStatus) -> Bool {
        status.resourceRules.contains { rule in
            let resources = rule.resources ?? []
            let groups = rule.apiGroups ?? []
            return (resources.contains("secrets") || resources.contains("*"))
                && (rule.verbs.contains("get") || rule.verbs.contains("*"))
                && (groups.isEmpty || groups.contains("") || groups.contains("*"))
        }
    }

    /// The request for the caller's rules in `namespace`.
    static func rulesReview(in namespace: String) throws -> KubeRequest {
        RequestBuilder.create(
            SelfSubjectRulesReview.resource, namespace: nil,
            body: Array(try KubeJSON.encoder.encode(SelfSubjectRulesReview(namespace: namespace))))
    }

    /// The request asking whether the caller may `verb` any Secret of `namespace`.
    static func accessReview(verb: String, in namespace: String) throws -> KubeRequest {
        let review = SelfSubjectAccessReview(
            spec: SelfSubjectAccessReviewSpec(
                resourceAttributes: ResourceAttributes(namespace: namespace, verb: verb, group: "", resource: "secrets")))
        return RequestBuilder.create(
            SelfSubjectAccessReview.resource, namespace: nil, body: Array(try KubeJSON.encoder.encode(review)))
    }
}

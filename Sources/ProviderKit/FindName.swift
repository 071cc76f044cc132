public import ExternalSecretsAPI
public import GoCompat

extension ExternalSecretFind {
    /// `name.regexp` compiled with Go's syntax (RE2), as every provider's `find` matches names;
    /// nil when there is none or it is empty (every name matches). A pattern that does not compile
    /// is the store user's configuration error, named by its field.
    public func nameMatcher() throws(ProviderError) -> GoRegexp? {
        guard let pattern = name?.regexp, !pattern.isEmpty else { return nil }
        do {
            return try GoRegexp(pattern)
        } catch {
            throw .invalidConfiguration("find.name.regexp: \(error)")
        }
    }
}

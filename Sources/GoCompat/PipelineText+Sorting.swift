// Go's ordering of names in messages, shared by the pipeline and the providers.

extension PipelineText {
    /// Keys in Go's `sort.Strings` order (byte order, not Swift's Unicode order).
    package static func sorted(_ keys: some Sequence<String>) -> [String] {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

import ControllerRuntime
import Logging

/// Installs the process's log handler: text (swift-log's stream handler) or JSON lines
/// (`JSONLogHandler`), at `level`, with the reconcile context (controller, namespace, name,
/// reconcileID) added to every line logged during a reconcile.
func bootstrapLogging(format: String, level: Logger.Level) {
    LoggingSystem.bootstrap(
        { label, provider in
            if format == "json" {
                var handler = JSONLogHandler.standardError(label: label, metadataProvider: provider)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = level
            return handler
        }, metadataProvider: .reconcileContext)
}

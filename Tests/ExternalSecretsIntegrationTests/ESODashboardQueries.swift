import Foundation

// The queries of ESO's Grafana dashboard, written down for the dashboard test.
//
// Source: github.com/external-secrets/external-secrets, docs/snippets/dashboard.json at commit
// cc5bfbc2234ace9cb0caff4ea89c435cf517b27b (ESO 2.9.0; the Helm chart ships the same dashboard as
// deploy/charts/external-secrets/files/monitoring/grafana-dashboard.json). Copyright The
// external-secrets Authors, Apache License 2.0. Only each panel's title and its PromQL query are
// copied (every `targets[].expr` of every panel, nested rows included, and the `controller`
// template variable's query), unchanged.

/// One PromQL query of ESO's dashboard and the panel it belongs to.
struct DashboardQuery: Sendable {
    var panel: String
    var expr: String
}

enum ESODashboard {
    static let queries: [DashboardQuery] = [
        DashboardQuery(panel: "SecretStore error rate [15m]", expr: "(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"secretstore\", result=\"error\"}[15m])))\n/\n(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"secretstore\"}[15m])))\n> 0"),
        DashboardQuery(panel: "ClusterSecretStore error rate [15m]", expr: "(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"clustersecretstore\", result=\"error\"}[15m])))\n/\n(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"clustersecretstore\"}[15m])))\n> 0"),
        DashboardQuery(panel: "ExternalSecret error rate [15m]", expr: "(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"externalsecret\", result=\"error\"}[15m])))\n/\n(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"externalsecret\"}[15m])))\n> 0"),
        DashboardQuery(panel: "ClusterExternalSecret error rate [15m]", expr: "(sum(irate(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"clusterexternalsecret\", result=\"error\"}[15m])))\n/\n(sum(irate(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"clusterexternalsecret\"}[15m])))\n> 0"),
        DashboardQuery(panel: "PushSecret error rate [15m]", expr: "(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"pushsecret\", result=\"error\"}[15m])))\n/\n(sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"pushsecret\"}[15m])))\n> 0"),
        DashboardQuery(panel: "Provider error rate [15m]", expr: "sum(increase(externalsecret_provider_api_calls_count{service=~\".*external-secrets.*\", status=\"error\"}[15m]))\n/\nsum(increase(externalsecret_provider_api_calls_count{service=~\".*external-secrets.*\"}[15m]))\n> 0"),
        DashboardQuery(panel: "Workqueue depth", expr: "sum(\n  workqueue_depth{service=~\"external-secrets.*\"}\n) by (name)"),
        DashboardQuery(panel: "Webhook error rate [15m]", expr: "sum(increase(controller_runtime_webhook_requests_total{service=~\"external-secrets.*\",code=\"500\"}[15m]))\n/\nsum(increase(controller_runtime_webhook_requests_total{service=~\"external-secrets.*\"}[15m]))"),
        DashboardQuery(panel: "Webhook latency [5m]", expr: "histogram_quantile(0.99,\n  sum(rate(controller_runtime_webhook_latency_seconds_bucket{service=~\"external-secrets.*\"}[5m])) by (le)\n)"),
        DashboardQuery(panel: "Reconcile latency [p99]", expr: "histogram_quantile(0.99,\n  sum(rate(controller_runtime_reconcile_time_seconds_bucket{service=~\"external-secrets.*\"}[5m])) by (le)\n)"),
        DashboardQuery(panel: "reconcile error rate [p99]", expr: "sum(increase(controller_runtime_reconcile_total{service=~\"external-secrets.*\",controller=~\"$controller\",result=\"error\"}[1m]))\n/\nsum(increase(controller_runtime_reconcile_total{service=~\"external-secrets.*\",controller=~\"$controller\"}[1m]))\n> 0"),
        DashboardQuery(panel: "Provider errors [15m]", expr: "increase(externalsecret_provider_api_calls_count{service=~\".*external-secrets.*\", status=\"error\"}[15m])"),
        DashboardQuery(panel: "Not Ready ExternalSecrets  [15m]", expr: "sum(externalsecret_status_condition{condition=\"Ready\",status=\"False\"}) by (namespace, name) == 1"),
        DashboardQuery(panel: "ExternalSecret sync call errors [15m]", expr: "sum(increase(externalsecret_sync_calls_error[15m])) by (name, namespace)"),
        DashboardQuery(panel: "requests by path per minute", expr: "sum(increase(controller_runtime_webhook_requests_total{service=~\".*external-secrets.*\"}[1m])) by (webhook)"),
        DashboardQuery(panel: "requests in flight", expr: "sum(controller_runtime_webhook_requests_in_flight{service=~\".*external-secrets.*\"}) by (webhook)"),
        DashboardQuery(panel: "requests by code per minute", expr: "sum(increase(controller_runtime_webhook_requests_total{service=~\".*external-secrets.*\"}[1m])) by (code)"),
        DashboardQuery(panel: "webhook latency", expr: "sum(rate(controller_runtime_webhook_latency_seconds_bucket{service=~\".*external-secrets.*\"}[$__rate_interval])) by (le)"),
        DashboardQuery(panel: "active workers by controller", expr: "sum(controller_runtime_active_workers{service=~\".*external-secrets.*\",controller=~\"$controller\"}) by (controller)"),
        DashboardQuery(panel: "workqueue depth", expr: "sum(workqueue_depth{service=~\".*external-secrets.*\"}) by (name)"),
        DashboardQuery(panel: "API calls by provider", expr: "sum(increase(externalsecret_provider_api_calls_count{service=~\".*external-secrets.*\"}[1m])) by(provider, call, status)"),
        DashboardQuery(panel: "max concurrent: $controller", expr: "sum(controller_runtime_max_concurrent_reconciles{service=~\".*external-secrets.*\",controller=\"$controller\"}) by (controller)"),
        DashboardQuery(panel: "reconcile rate per minute: $controller", expr: "sum(increase(controller_runtime_reconcile_total{service=~\".*external-secrets.*\",controller=~\"$controller\"}[1m])) by (result)"),
        DashboardQuery(panel: "reconcile time latency: $controller", expr: "rate(controller_runtime_reconcile_time_seconds_bucket{service=~\".*external-secrets.*\",controller=~\"$controller\"}[$__rate_interval])"),
        DashboardQuery(panel: "variable $controller", expr: "label_values(controller_runtime_active_workers{service=~\".*external-secrets.*\"},  controller)"),
    ]
}

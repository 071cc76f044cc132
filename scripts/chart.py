#!/usr/bin/env python3
"""Renders and lints the Helm chart with Helm's own library (PyPI helm-python-sdk; no helm binary,
no network). The chart tests (Tests/ChartIntegrationTests) call it.

  chart.py lint CHART [VALUES]
      `helm lint --strict`: prints the report as JSON; exits 1 when it has a warning or an error.
  chart.py render CHART VALUES NAMESPACE KUBE_VERSION [API_VERSION ...]
      `helm template` as `helm install` would for a cluster of KUBE_VERSION that also serves
      API_VERSIONs (group/version/Kind): prints the manifests as one YAML stream, each document
      headed by `# Source: <template>`, then NOTES.txt as a `# NOTES` comment block.

VALUES is a YAML (or JSON) values file ("-" or missing: no values).
"""
import json
import sys

import helm_python as helm
import yaml
from helm_python import _native


def load_values(path):
    if not path or path == "-":
        return None
    with open(path) as file:
        return yaml.safe_load(file) or {}


def lint(chart, values_path=None):
    report = helm.lint(chart, load_values(values_path), strict=True, namespace="external-secrets")
    print(json.dumps(report, indent=2))
    # Severity: 1 info, 2 warning, 3 error. --strict fails on warnings.
    failed = report.get("errors") or any(m.get("severity", 0) >= 2 for m in report.get("messages", []))
    return 1 if failed else 0


def render(chart_path, values_path, namespace, kube_version, *api_versions):
    chart = helm.Chart.load(chart_path)
    values = load_values(values_path)
    chart.validate_schema(values)
    options = {
        "name": "external-secrets", "namespace": namespace, "is_install": True,
        "kube_version": kube_version, "api_versions": list(api_versions),
    }
    # The Python wrapper does not expose kube_version / api_versions; the C API takes them.
    rendered = json.loads(_native.call_string(
        "helm_render", chart._raw(), json.dumps(values) if values is not None else None, json.dumps(options)))
    notes = ""
    for name in sorted(rendered):
        text = rendered[name]
        if name.endswith("NOTES.txt"):
            notes = text
            continue
        if not text.strip():
            continue
        print(f"---\n# Source: {name}\n{text.strip()}")
    print("\n".join("# NOTES " + line for line in notes.splitlines()))
    return 0


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    sys.exit({"lint": lint, "render": render}[command](*arguments))

"""The Kubernetes manifests as the cluster would get them: each overlay rendered offline, and ways to read it.

`kubectl kustomize` renders each overlay (and prod with the ingress component); the helpers pick objects,
pod specs and the environment a container ends up with out of the rendered documents.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent.parent
K8S = REPO / "k8s"
ENVS = ("dev", "staging", "prod")
ORCHESTRATION = "artbattle-orchestration"
EXECUTION = "artbattle-execution"
Manifest = list[dict[str, Any]]


def kubectl_path() -> str:
    """The kubectl to render with: on PATH or from `make kubectl`; skips without one, fails in CI."""
    found = shutil.which("kubectl")
    if found is None and (REPO / ".tools" / "bin" / "kubectl").exists():
        found = str(REPO / ".tools" / "bin" / "kubectl")
    if found is None:
        reason = "kubectl is not installed (`make kubectl` installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def render(kubectl: str, directory: Path) -> Manifest:
    output = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def render_overlays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Manifest]:
    """Each overlay, plus prod with the ingress component (kustomize reads only relative paths)."""
    kubectl = kubectl_path()
    manifests = {env: render(kubectl, K8S / "overlays" / env) for env in ENVS}
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy)
    (copy / "with-ingress").mkdir()
    (copy / "with-ingress" / "kustomization.yaml").write_text(
        'resources: ["../overlays/prod"]\ncomponents: ["../components/ingress"]\n'
    )
    manifests["prod+ingress"] = render(kubectl, copy / "with-ingress")
    return manifests


def read_secrets_template() -> Manifest:
    return [doc for doc in yaml.safe_load_all((K8S / "base" / "secrets.template.yaml").read_text()) if doc]


def each_env(rendered: dict[str, Manifest]) -> Iterator[tuple[str, Manifest]]:
    for env in ENVS:
        yield env, rendered[env]


def objects(manifest: Manifest, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    return [
        obj
        for obj in manifest
        if obj["kind"] == kind and (namespace is None or obj["metadata"].get("namespace") == namespace)
    ]


def one(manifest: Manifest, kind: str, name: str) -> dict[str, Any]:
    (found,) = [obj for obj in manifest if obj["kind"] == kind and obj["metadata"]["name"] == name]
    return found


def pod_spec(manifest: Manifest, deployment: str) -> dict[str, Any]:
    spec: dict[str, Any] = one(manifest, "Deployment", deployment)["spec"]["template"]["spec"]
    return spec


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def environment(manifest: Manifest, container: dict[str, Any], secrets: Manifest) -> dict[str, str]:
    """Every variable the container gets: literal env, ConfigMaps and (template) Secrets via envFrom."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values |= one(manifest, "ConfigMap", source["configMapRef"]["name"])["data"]
        if "secretRef" in source:
            values |= one(secrets, "Secret", source["secretRef"]["name"])["stringData"]
    for item in container.get("env", []):
        values[item["name"]] = item.get("value", "<from valueFrom>")
    return values

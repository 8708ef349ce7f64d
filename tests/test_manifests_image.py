"""The image the manifests deploy is built on a pinned base, and `make deploy` refuses a bad overlay.

The Containerfile's base image is pinned by digest (`image-check.sh` swaps in a local one), and the deploy
target stops before touching a cluster when an overlay sends Postgres egress to a documentation address.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.support.manifests import REPO, kubectl_path


def test_make_deploy_refuses_an_overlay_whose_postgres_cidr_is_a_documentation_address(tmp_path: Path):
    for part in ("Makefile", "mk", "k8s"):
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy
        copy(REPO / part, tmp_path / part)
    overlay = tmp_path / "k8s" / "overlays" / "dev" / "kustomization.yaml"
    text, replaced = re.subn(r"value: [0-9.]+/[0-9]+", "value: 198.51.100.7/32", overlay.read_text())
    assert replaced == 1
    overlay.write_text(text)
    context = (tmp_path / "k8s" / "overlays" / "dev" / "context").read_text().strip()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "nowhere", "cluster": {"server": "https://127.0.0.1:1"}}],
                "contexts": [{"name": context, "context": {"cluster": "nowhere", "user": "nobody"}}],
                "users": [{"name": "nobody", "user": {"token": "not-a-token"}}],
                "current-context": context,
            }
        )
    )
    deploy = subprocess.run(
        ["make", "--no-print-directory", "deploy", "ENV=dev", "TAG=test", f"KUBECTL={kubectl_path()}"],
        cwd=tmp_path,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert deploy.returncode == 2, deploy.stdout + deploy.stderr
    assert "REFUSING: k8s/overlays/dev sends Postgres egress to a documentation address" in deploy.stderr
    assert "deploying" not in deploy.stdout


def test_the_base_image_is_pinned_by_digest_and_image_check_builds_on_a_local_one():
    containerfile = (REPO / "Containerfile").read_text()
    (base,) = re.findall(r"^ARG BASE=(\S+)$", containerfile, flags=re.MULTILINE)
    assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), base
    assert re.findall(r"^FROM (\S+)", containerfile, flags=re.MULTILINE) == ["${BASE}", "${BASE}"]
    assert '--build-arg "BASE=$BASE_IMAGE"' in (REPO / "scripts" / "image-check.sh").read_text()

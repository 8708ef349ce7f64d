"""The Kubernetes manifests, as rendered for each environment, keep the deployment rules.

Each overlay is rendered once per module with `kubectl kustomize` (offline); the tests read the
rendered objects. The ports and setting names are checked against the code's own settings classes,
so a renamed variable or a changed default breaks here rather than in the cluster.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mcp_server.settings import GatewaySettings
from slack_client.settings import BotSettings

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "k8s"
ENVS = ("dev", "staging", "prod")
ORCHESTRATION = "artbattle-orchestration"
EXECUTION = "artbattle-execution"
IMAGE = "ghcr.io/splashkes/abcodex"
SERVICE_HOST = "orchestration-supervisor.artbattle-orchestration.svc.cluster.local"
DRAIN_SECONDS = 10

# What each process needs in the cluster (names from docs/configuration.md).
GATEWAY_NEEDS = {
    "MCP_GATEWAY_HOST",
    "MCP_GATEWAY_PORT",
    "MCP_GATEWAY_AUTH_TOKEN",
    "MCP_GATEWAY_TOKENS_FILE",
    "MCP_GATEWAY_ALLOWED_HOSTS",
    "MCP_GATEWAY_DRAIN_SECONDS",
    "MCP_GATEWAY_PROBE_PORT",
    "DATABASE_URL",
    "STRIPE_CANADA_SECRET_KEY",
    "STRIPE_INTL_SECRET_KEY",
    "PAYMENT_CONFIRMATION_SECRET",
    "LOG_FORMAT",
}
BOT_NEEDS = {
    "MCP_GATEWAY_URL",
    "MCP_GATEWAY_AUTH_TOKEN",
    "LLM_PROVIDER",
    "ANTHROPIC_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_USE_SOCKET_MODE",
    "ALLOWED_TOOLS_FILE",
    "RBAC_USER_MAP_JSON",
    "PORT",
    "LOG_FORMAT",
}
# Every setting of docs/configuration.md that is a secret.
SECRET_SETTINGS = {
    "DATABASE_URL",
    "MCP_GATEWAY_AUTH_TOKEN",
    "STRIPE_CANADA_SECRET_KEY",
    "STRIPE_INTL_SECRET_KEY",
    "PAYMENT_CONFIRMATION_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
}
Manifest = list[dict[str, Any]]


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None and (REPO / ".tools" / "bin" / "kubectl").exists():
        found = str(REPO / ".tools" / "bin" / "kubectl")
    if found is None:
        reason = "kubectl is not installed (`make kubectl` installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _render(kubectl: str, directory: Path) -> Manifest:
    output = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Manifest]:
    """Each overlay, plus prod with the ingress component (kustomize reads only relative paths)."""
    kubectl = _kubectl()
    manifests = {env: _render(kubectl, K8S / "overlays" / env) for env in ENVS}
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy)
    (copy / "with-ingress").mkdir()
    (copy / "with-ingress" / "kustomization.yaml").write_text(
        'resources: ["../overlays/prod"]\ncomponents: ["../components/ingress"]\n'
    )
    manifests["prod+ingress"] = _render(kubectl, copy / "with-ingress")
    return manifests


@pytest.fixture(scope="module")
def secrets_template() -> Manifest:
    return [doc for doc in yaml.safe_load_all((K8S / "base" / "secrets.template.yaml").read_text()) if doc]


def _each_env(rendered: dict[str, Manifest]) -> Iterator[tuple[str, Manifest]]:
    for env in ENVS:
        yield env, rendered[env]


def _objects(manifest: Manifest, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    return [
        obj
        for obj in manifest
        if obj["kind"] == kind and (namespace is None or obj["metadata"].get("namespace") == namespace)
    ]


def _one(manifest: Manifest, kind: str, name: str) -> dict[str, Any]:
    (found,) = [obj for obj in manifest if obj["kind"] == kind and obj["metadata"]["name"] == name]
    return found


def _pod(manifest: Manifest, deployment: str) -> dict[str, Any]:
    spec: dict[str, Any] = _one(manifest, "Deployment", deployment)["spec"]["template"]["spec"]
    return spec


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _environment(manifest: Manifest, container: dict[str, Any], secrets: Manifest) -> dict[str, str]:
    """Every variable the container gets: literal env, ConfigMaps and (template) Secrets via envFrom."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values |= _one(manifest, "ConfigMap", source["configMapRef"]["name"])["data"]
        if "secretRef" in source:
            values |= _one(secrets, "Secret", source["secretRef"]["name"])["stringData"]
    for item in container.get("env", []):
        values[item["name"]] = item.get("value", "<from valueFrom>")
    return values


def _setting_names(settings: type[GatewaySettings | BotSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def test_every_overlay_renders_both_namespaces_and_the_seven_deployments(rendered):
    for env, manifest in _each_env(rendered):
        assert {ns["metadata"]["name"] for ns in _objects(manifest, "Namespace")} == {ORCHESTRATION, EXECUTION}
        names = {d["metadata"]["name"] for d in _objects(manifest, "Deployment")}
        assert names == {
            "orchestration-api",
            "orchestration-supervisor",
            *(f"execution-runner-{n}" for n in range(1, 6)),
        }, env


def test_gateway_listens_where_the_code_and_its_service_say(rendered, secrets_template):
    default_port = GatewaySettings.model_fields["mcp_gateway_port"].default
    probe_port = GatewaySettings.model_fields["mcp_gateway_probe_port"].default
    assert (default_port, probe_port) == (8081, 8082)
    for env, manifest in _each_env(rendered):
        gateway = _pod(manifest, "orchestration-supervisor")["containers"][0]
        assert gateway["command"] == ["abcodex-gateway"]
        assert gateway["ports"] == [
            {"name": "http", "containerPort": default_port, "protocol": "TCP"},
            {"name": "probes", "containerPort": probe_port, "protocol": "TCP"},
        ]
        settings = _environment(manifest, gateway, secrets_template)
        assert settings["MCP_GATEWAY_PORT"] == str(default_port)
        assert settings["MCP_GATEWAY_PROBE_PORT"] == str(probe_port)
        assert settings["MCP_GATEWAY_HOST"] == "0.0.0.0"
        service = _one(manifest, "Service", "orchestration-supervisor")
        assert service["spec"]["ports"][0]["port"] == default_port, env
        assert service["spec"]["ports"][0]["targetPort"] == "http", env


def test_bot_listens_on_the_codes_default_port(rendered, secrets_template):
    default_port = BotSettings.model_fields["port"].default
    assert default_port == 3000
    for _env, manifest in _each_env(rendered):
        bot = _pod(manifest, "orchestration-api")["containers"][0]
        assert bot["command"] == ["abcodex-slackbot"]
        assert bot["ports"] == [{"name": "http", "containerPort": default_port, "protocol": "TCP"}]
        assert _environment(manifest, bot, secrets_template)["PORT"] == str(default_port)


def test_every_setting_each_process_needs_is_provided(rendered, secrets_template):
    for env, manifest in _each_env(rendered):
        for container in _containers(_pod(manifest, "orchestration-supervisor")):
            missing = GATEWAY_NEEDS - _environment(manifest, container, secrets_template).keys()
            assert not missing, (env, container["name"], missing)
        bot = _pod(manifest, "orchestration-api")["containers"][0]
        missing = BOT_NEEDS - _environment(manifest, bot, secrets_template).keys()
        assert not missing, (env, missing)


def test_every_provided_variable_is_a_setting_the_code_reads(rendered, secrets_template):
    for env, manifest in _each_env(rendered):
        gateway = _pod(manifest, "orchestration-supervisor")["containers"][0]
        unknown = _environment(manifest, gateway, secrets_template).keys() - _setting_names(GatewaySettings)
        assert not unknown, (env, unknown)
        bot = _pod(manifest, "orchestration-api")["containers"][0]
        unknown = _environment(manifest, bot, secrets_template).keys() - _setting_names(BotSettings)
        assert not unknown, (env, unknown)


def test_bot_talks_to_the_gateway_service_in_socket_mode(rendered, secrets_template):
    for _env, manifest in _each_env(rendered):
        bot = _environment(manifest, _pod(manifest, "orchestration-api")["containers"][0], secrets_template)
        assert bot["MCP_GATEWAY_URL"] == f"http://{SERVICE_HOST}:8081/mcp"
        assert bot["SLACK_USE_SOCKET_MODE"] == "true"
        assert bot["ALLOWED_TOOLS_FILE"] == "/app/manifests/allowed-tools.yaml"


def test_gateway_accepts_every_name_of_its_service_as_host(rendered, secrets_template):
    expected = {
        "orchestration-supervisor:8081",
        "orchestration-supervisor.artbattle-orchestration:8081",
        "orchestration-supervisor.artbattle-orchestration.svc:8081",
        f"{SERVICE_HOST}:8081",
    }
    for _env, manifest in _each_env(rendered):
        gateway = _pod(manifest, "orchestration-supervisor")["containers"][0]
        hosts = _environment(manifest, gateway, secrets_template)["MCP_GATEWAY_ALLOWED_HOSTS"]
        assert expected <= {host.strip() for host in hosts.split(",")}


def test_execution_runners_keep_the_topology_but_schedule_no_pods(rendered):
    for env, manifest in _each_env(rendered):
        runners = _objects(manifest, "Deployment", EXECUTION)
        assert len(runners) == 5, env
        assert all(runner["spec"]["replicas"] == 0 for runner in runners), env


def test_running_processes_are_probed_on_healthz_and_readyz(rendered):
    # The gateway answers its probes on a listener of their own, which a burst on the main port cannot delay.
    probe_ports = {"orchestration-supervisor": "probes", "orchestration-api": "http"}
    for _env, manifest in _each_env(rendered):
        for deployment, port in probe_ports.items():
            container = _pod(manifest, deployment)["containers"][0]
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
            assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": port}


def test_the_gateways_probes_give_up_within_a_second_and_liveness_waits_past_a_stalled_loop(rendered):
    stall = GatewaySettings.model_fields["mcp_gateway_loop_stall_seconds"].default
    for env, manifest in _each_env(rendered):
        gateway = _pod(manifest, "orchestration-supervisor")["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert gateway[probe]["timeoutSeconds"] <= 1, (env, probe)
        liveness = gateway["livenessProbe"]
        # /healthz turns 503 only after `stall` seconds without the loop; a restart needs that many failures more.
        assert liveness["periodSeconds"] * liveness["failureThreshold"] >= stall, env


def test_every_pod_runs_non_root_on_a_read_only_root_without_privileges(rendered):
    for env, manifest in _each_env(rendered):
        for deployment in _objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            where = (env, deployment["metadata"]["name"])
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert pod["automountServiceAccountToken"] is False, where
            tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
            for container in _containers(pod):
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                assert mounts.get("/tmp") in tmp_volumes, where
                assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), where
                assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), where


def test_every_service_account_declines_the_api_token(rendered):
    for _env, manifest in _each_env(rendered):
        accounts = _objects(manifest, "ServiceAccount")
        assert accounts
        assert all(account["automountServiceAccountToken"] is False for account in accounts)


def test_every_pod_pulls_the_one_image_with_ghcr_pull(rendered):
    for env, manifest in _each_env(rendered):
        for deployment in _objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            assert pod["imagePullSecrets"] == [{"name": "ghcr-pull"}], env
            assert all(c["image"].startswith(f"{IMAGE}:") for c in _containers(pod)), env


def test_pods_get_longer_to_stop_than_the_gateway_drains(rendered, secrets_template):
    for env, manifest in _each_env(rendered):
        gateway_pod = _pod(manifest, "orchestration-supervisor")
        gateway = gateway_pod["containers"][0]
        drain = float(_environment(manifest, gateway, secrets_template)["MCP_GATEWAY_DRAIN_SECONDS"])
        assert drain == DRAIN_SECONDS
        pre_stop = gateway["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert gateway_pod["terminationGracePeriodSeconds"] > pre_stop + drain, env
        bot_drain = BotSettings.model_fields["bot_drain_seconds"].default
        assert _pod(manifest, "orchestration-api")["terminationGracePeriodSeconds"] > bot_drain, env
        for deployment in _objects(manifest, "Deployment"):
            assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > DRAIN_SECONDS


def test_rolling_updates_never_remove_a_pod_before_its_replacement_is_ready(rendered):
    for env, manifest in _each_env(rendered):
        for deployment in _objects(manifest, "Deployment"):
            strategy = deployment["spec"]["strategy"]
            assert strategy["type"] == "RollingUpdate", env
            assert strategy["rollingUpdate"]["maxUnavailable"] == 0, env


def test_gateway_is_autoscaled_and_protected_by_a_disruption_budget(rendered):
    for env, manifest in _each_env(rendered):
        gateway = _one(manifest, "Deployment", "orchestration-supervisor")
        assert "replicas" not in gateway["spec"], "the autoscaler owns the replica count"
        labels = gateway["spec"]["template"]["metadata"]["labels"]
        budget = _one(manifest, "PodDisruptionBudget", "orchestration-supervisor")
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items(), env
        autoscaler = _one(manifest, "HorizontalPodAutoscaler", "orchestration-supervisor")
        assert autoscaler["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "orchestration-supervisor",
        }
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"], env
    assert _one(rendered["prod"], "HorizontalPodAutoscaler", "orchestration-supervisor")["spec"]["minReplicas"] >= 2


def _ports(rule: dict[str, Any]) -> set[int]:
    return {port["port"] for port in rule.get("ports", [])}


def test_both_namespaces_deny_all_traffic_by_default_and_allow_dns(rendered):
    for env, manifest in _each_env(rendered):
        for namespace in (ORCHESTRATION, EXECUTION):
            policies = _objects(manifest, "NetworkPolicy", namespace)
            deny = [p for p in policies if p["metadata"]["name"] == "default-deny-all"]
            assert deny, (env, namespace)
            assert deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
            dns = [p for p in policies if p["metadata"]["name"] == "allow-dns"]
            assert dns, (env, namespace)
            assert _ports(dns[0]["spec"]["egress"][0]) == {53}
        assert len(_objects(manifest, "NetworkPolicy", EXECUTION)) == 2, "runners may reach nothing but DNS"


def test_only_the_bot_reaches_the_gateway_and_only_postgres_and_https_leave(rendered):
    for _env, manifest in _each_env(rendered):
        gateway = _one(manifest, "NetworkPolicy", "orchestration-supervisor")["spec"]
        (ingress,) = gateway["ingress"]
        assert ingress["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "orchestration-api"}}}]
        assert _ports(ingress) == {8081}
        assert set().union(*(_ports(rule) for rule in gateway["egress"])) == {443}
        postgres = _one(manifest, "NetworkPolicy", "orchestration-supervisor-postgres")["spec"]
        assert postgres["podSelector"] == gateway["podSelector"]
        assert postgres["policyTypes"] == ["Egress"] and "ingress" not in postgres
        assert set().union(*(_ports(rule) for rule in postgres["egress"])) == {5432, 6543}
        bot = _one(manifest, "NetworkPolicy", "orchestration-api")["spec"]
        assert bot["ingress"] == []
        to_gateway, to_internet = bot["egress"]
        assert to_gateway["to"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "orchestration-supervisor"}}}
        ]
        assert _ports(to_gateway) == {8081}
        assert _ports(to_internet) == {443}
        assert "10.0.0.0/8" in to_internet["to"][0]["ipBlock"]["except"]


def _postgres_cidrs(manifest: Manifest) -> list[str]:
    (rule,) = _one(manifest, "NetworkPolicy", "orchestration-supervisor-postgres")["spec"]["egress"]
    return [peer["ipBlock"]["cidr"] for peer in rule["to"]]


def test_the_gateway_reaches_postgres_only_within_the_narrow_cidr_its_overlay_sets(rendered):
    base = [doc for doc in yaml.safe_load_all((K8S / "base" / "networkpolicies.yaml").read_text()) if doc]
    unset = _postgres_cidrs(base)
    for env, manifest in rendered.items():
        cidrs = _postgres_cidrs(manifest)
        assert cidrs and cidrs != unset, f"k8s/overlays/{env} sets no Postgres CIDR of its own"
        for cidr in cidrs:
            network = ipaddress.ip_network(cidr)  # strict: no host bits beyond the prefix
            assert network.prefixlen >= 16, (env, cidr, "at most a VPC's range, never the internet")


def test_no_other_rule_lets_the_gateway_reach_postgres_ports(rendered):
    for env, manifest in rendered.items():
        for policy in _objects(manifest, "NetworkPolicy", ORCHESTRATION):
            if policy["metadata"]["name"] == "orchestration-supervisor-postgres":
                continue
            for rule in policy["spec"].get("egress", []):
                assert not _ports(rule) & {5432, 6543}, (env, policy["metadata"]["name"])
                assert rule.get("ports"), (env, policy["metadata"]["name"], "an egress rule without ports allows all")


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
        ["make", "--no-print-directory", "deploy", "ENV=dev", "TAG=test", f"KUBECTL={_kubectl()}"],
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


def test_nothing_is_exposed_outside_the_cluster_by_default(rendered):
    for env, manifest in _each_env(rendered):
        assert not _objects(manifest, "Ingress"), env
        assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in _objects(manifest, "Service"))


def test_ingress_component_serves_slack_events_over_tls_instead_of_socket_mode(rendered, secrets_template):
    manifest = rendered["prod+ingress"]
    ingress = _one(manifest, "Ingress", "orchestration-api")
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert ingress["spec"]["tls"][0]["secretName"]
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/slack/events"
    service = _one(manifest, "Service", path["backend"]["service"]["name"])
    assert service["spec"]["ports"][0]["port"] == 3000
    bot = _environment(manifest, _pod(manifest, "orchestration-api")["containers"][0], secrets_template)
    assert bot["SLACK_USE_SOCKET_MODE"] == "false"
    assert "SLACK_SIGNING_SECRET" in bot


def test_secrets_template_holds_placeholders_only(secrets_template):
    for secret in secrets_template:
        assert secret["kind"] == "Secret"
        for key, value in secret["stringData"].items():
            assert "REPLACE_ME" in value, (secret["metadata"]["name"], key)
            for real_prefix in ("xoxb-", "xoxp-", "xapp-", "sk-ant-", "sk_live_", "rk_live_", "ghp_"):
                assert real_prefix not in value, (secret["metadata"]["name"], key)


def test_secrets_template_covers_every_secret_setting_and_every_secret_the_pods_use(rendered, secrets_template):
    template_keys = {key for secret in secrets_template for key in secret["stringData"]}
    assert template_keys >= SECRET_SETTINGS
    template_names = {secret["metadata"]["name"] for secret in secrets_template}
    for env, manifest in rendered.items():
        for deployment in _objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            used = {s["secretRef"]["name"] for c in _containers(pod) for s in c.get("envFrom", []) if "secretRef" in s}
            used |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
            assert used <= template_names, (env, used - template_names)
        assert not _objects(manifest, "Secret"), "real secrets are never rendered from the repository"
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert "secrets.template.yaml" not in kustomization["resources"]

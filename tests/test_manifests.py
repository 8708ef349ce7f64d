"""The Kubernetes manifests, as rendered for each environment, keep the deployment rules.

Each overlay is rendered once per module with `kubectl kustomize` (offline); the tests read the
rendered objects. The ports and setting names are checked against the code's own settings classes,
so a renamed variable or a changed default breaks here rather than in the cluster. Network policies and
exposure are in `test_manifests_network.py`, the image and the deploy guard in `test_manifests_image.py`.
"""

from __future__ import annotations

import pytest
import yaml

from mcp_server.settings import GatewaySettings
from slack_client.settings import BotSettings
from tests.support.manifests import (
    EXECUTION,
    K8S,
    ORCHESTRATION,
    Manifest,
    containers,
    each_env,
    environment,
    objects,
    one,
    pod_spec,
    read_secrets_template,
    render_overlays,
)

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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Manifest]:
    return render_overlays(tmp_path_factory)


@pytest.fixture(scope="module")
def secrets_template() -> Manifest:
    return read_secrets_template()


def _setting_names(settings: type[GatewaySettings | BotSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def test_every_overlay_renders_both_namespaces_and_the_seven_deployments(rendered):
    for env, manifest in each_env(rendered):
        assert {ns["metadata"]["name"] for ns in objects(manifest, "Namespace")} == {ORCHESTRATION, EXECUTION}
        names = {d["metadata"]["name"] for d in objects(manifest, "Deployment")}
        assert names == {
            "orchestration-api",
            "orchestration-supervisor",
            *(f"execution-runner-{n}" for n in range(1, 6)),
        }, env


def test_gateway_listens_where_the_code_and_its_service_say(rendered, secrets_template):
    default_port = GatewaySettings.model_fields["mcp_gateway_port"].default
    probe_port = GatewaySettings.model_fields["mcp_gateway_probe_port"].default
    assert (default_port, probe_port) == (8081, 8082)
    for env, manifest in each_env(rendered):
        gateway = pod_spec(manifest, "orchestration-supervisor")["containers"][0]
        assert gateway["command"] == ["abcodex-gateway"]
        assert gateway["ports"] == [
            {"name": "http", "containerPort": default_port, "protocol": "TCP"},
            {"name": "probes", "containerPort": probe_port, "protocol": "TCP"},
        ]
        settings = environment(manifest, gateway, secrets_template)
        assert settings["MCP_GATEWAY_PORT"] == str(default_port)
        assert settings["MCP_GATEWAY_PROBE_PORT"] == str(probe_port)
        assert settings["MCP_GATEWAY_HOST"] == "0.0.0.0"
        service = one(manifest, "Service", "orchestration-supervisor")
        assert service["spec"]["ports"][0]["port"] == default_port, env
        assert service["spec"]["ports"][0]["targetPort"] == "http", env


def test_bot_listens_on_the_codes_default_port(rendered, secrets_template):
    default_port = BotSettings.model_fields["port"].default
    assert default_port == 3000
    for _env, manifest in each_env(rendered):
        bot = pod_spec(manifest, "orchestration-api")["containers"][0]
        assert bot["command"] == ["abcodex-slackbot"]
        assert bot["ports"] == [{"name": "http", "containerPort": default_port, "protocol": "TCP"}]
        assert environment(manifest, bot, secrets_template)["PORT"] == str(default_port)


def test_every_setting_each_process_needs_is_provided(rendered, secrets_template):
    for env, manifest in each_env(rendered):
        for container in containers(pod_spec(manifest, "orchestration-supervisor")):
            missing = GATEWAY_NEEDS - environment(manifest, container, secrets_template).keys()
            assert not missing, (env, container["name"], missing)
        bot = pod_spec(manifest, "orchestration-api")["containers"][0]
        missing = BOT_NEEDS - environment(manifest, bot, secrets_template).keys()
        assert not missing, (env, missing)


def test_every_provided_variable_is_a_setting_the_code_reads(rendered, secrets_template):
    for env, manifest in each_env(rendered):
        gateway = pod_spec(manifest, "orchestration-supervisor")["containers"][0]
        unknown = environment(manifest, gateway, secrets_template).keys() - _setting_names(GatewaySettings)
        assert not unknown, (env, unknown)
        bot = pod_spec(manifest, "orchestration-api")["containers"][0]
        unknown = environment(manifest, bot, secrets_template).keys() - _setting_names(BotSettings)
        assert not unknown, (env, unknown)


def test_bot_talks_to_the_gateway_service_in_socket_mode(rendered, secrets_template):
    for _env, manifest in each_env(rendered):
        bot = environment(manifest, pod_spec(manifest, "orchestration-api")["containers"][0], secrets_template)
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
    for _env, manifest in each_env(rendered):
        gateway = pod_spec(manifest, "orchestration-supervisor")["containers"][0]
        hosts = environment(manifest, gateway, secrets_template)["MCP_GATEWAY_ALLOWED_HOSTS"]
        assert expected <= {host.strip() for host in hosts.split(",")}


def test_execution_runners_keep_the_topology_but_schedule_no_pods(rendered):
    for env, manifest in each_env(rendered):
        runners = objects(manifest, "Deployment", EXECUTION)
        assert len(runners) == 5, env
        assert all(runner["spec"]["replicas"] == 0 for runner in runners), env


def test_running_processes_are_probed_on_healthz_and_readyz(rendered):
    # The gateway answers its probes on a listener of their own, which a burst on the main port cannot delay.
    probe_ports = {"orchestration-supervisor": "probes", "orchestration-api": "http"}
    for _env, manifest in each_env(rendered):
        for deployment, port in probe_ports.items():
            container = pod_spec(manifest, deployment)["containers"][0]
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
            assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": port}


def test_the_gateways_probes_give_up_within_a_second_and_liveness_waits_past_a_stalled_loop(rendered):
    stall = GatewaySettings.model_fields["mcp_gateway_loop_stall_seconds"].default
    for env, manifest in each_env(rendered):
        gateway = pod_spec(manifest, "orchestration-supervisor")["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert gateway[probe]["timeoutSeconds"] <= 1, (env, probe)
        liveness = gateway["livenessProbe"]
        # /healthz turns 503 only after `stall` seconds without the loop; a restart needs that many failures more.
        assert liveness["periodSeconds"] * liveness["failureThreshold"] >= stall, env


def test_every_pod_runs_non_root_on_a_read_only_root_without_privileges(rendered):
    for env, manifest in each_env(rendered):
        for deployment in objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            where = (env, deployment["metadata"]["name"])
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert pod["automountServiceAccountToken"] is False, where
            tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
            for container in containers(pod):
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                assert mounts.get("/tmp") in tmp_volumes, where
                assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), where
                assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), where


def test_every_service_account_declines_the_api_token(rendered):
    for _env, manifest in each_env(rendered):
        accounts = objects(manifest, "ServiceAccount")
        assert accounts
        assert all(account["automountServiceAccountToken"] is False for account in accounts)


def test_every_pod_pulls_the_one_image_with_ghcr_pull(rendered):
    for env, manifest in each_env(rendered):
        for deployment in objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            assert pod["imagePullSecrets"] == [{"name": "ghcr-pull"}], env
            assert all(c["image"].startswith(f"{IMAGE}:") for c in containers(pod)), env


def test_pods_get_longer_to_stop_than_the_gateway_drains(rendered, secrets_template):
    for env, manifest in each_env(rendered):
        gateway_pod = pod_spec(manifest, "orchestration-supervisor")
        gateway = gateway_pod["containers"][0]
        drain = float(environment(manifest, gateway, secrets_template)["MCP_GATEWAY_DRAIN_SECONDS"])
        assert drain == DRAIN_SECONDS
        pre_stop = gateway["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert gateway_pod["terminationGracePeriodSeconds"] > pre_stop + drain, env
        bot_drain = BotSettings.model_fields["bot_drain_seconds"].default
        assert pod_spec(manifest, "orchestration-api")["terminationGracePeriodSeconds"] > bot_drain, env
        for deployment in objects(manifest, "Deployment"):
            assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > DRAIN_SECONDS


def test_rolling_updates_never_remove_a_pod_before_its_replacement_is_ready(rendered):
    for env, manifest in each_env(rendered):
        for deployment in objects(manifest, "Deployment"):
            strategy = deployment["spec"]["strategy"]
            assert strategy["type"] == "RollingUpdate", env
            assert strategy["rollingUpdate"]["maxUnavailable"] == 0, env


def test_gateway_is_autoscaled_and_protected_by_a_disruption_budget(rendered):
    for env, manifest in each_env(rendered):
        gateway = one(manifest, "Deployment", "orchestration-supervisor")
        assert "replicas" not in gateway["spec"], "the autoscaler owns the replica count"
        labels = gateway["spec"]["template"]["metadata"]["labels"]
        budget = one(manifest, "PodDisruptionBudget", "orchestration-supervisor")
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items(), env
        autoscaler = one(manifest, "HorizontalPodAutoscaler", "orchestration-supervisor")
        assert autoscaler["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "orchestration-supervisor",
        }
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"], env
    assert one(rendered["prod"], "HorizontalPodAutoscaler", "orchestration-supervisor")["spec"]["minReplicas"] >= 2


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
        for deployment in objects(manifest, "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            used = {s["secretRef"]["name"] for c in containers(pod) for s in c.get("envFrom", []) if "secretRef" in s}
            used |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
            assert used <= template_names, (env, used - template_names)
        assert not objects(manifest, "Secret"), "real secrets are never rendered from the repository"
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert "secrets.template.yaml" not in kustomization["resources"]

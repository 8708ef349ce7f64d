"""Who may talk to whom, as rendered for each environment: the NetworkPolicies, Postgres egress and exposure.

Both namespaces deny everything but DNS by default; only the bot reaches the gateway; the gateway reaches
Postgres only within the CIDR its overlay sets, and nothing is reachable from outside the cluster unless the
ingress component is added.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from tests.support.manifests import (
    EXECUTION,
    K8S,
    ORCHESTRATION,
    Manifest,
    each_env,
    environment,
    objects,
    one,
    pod_spec,
    read_secrets_template,
    render_overlays,
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Manifest]:
    return render_overlays(tmp_path_factory)


@pytest.fixture(scope="module")
def secrets_template() -> Manifest:
    return read_secrets_template()


def _ports(rule: dict[str, Any]) -> set[int]:
    return {port["port"] for port in rule.get("ports", [])}


def test_both_namespaces_deny_all_traffic_by_default_and_allow_dns(rendered):
    for env, manifest in each_env(rendered):
        for namespace in (ORCHESTRATION, EXECUTION):
            policies = objects(manifest, "NetworkPolicy", namespace)
            deny = [p for p in policies if p["metadata"]["name"] == "default-deny-all"]
            assert deny, (env, namespace)
            assert deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
            dns = [p for p in policies if p["metadata"]["name"] == "allow-dns"]
            assert dns, (env, namespace)
            assert _ports(dns[0]["spec"]["egress"][0]) == {53}
        assert len(objects(manifest, "NetworkPolicy", EXECUTION)) == 2, "runners may reach nothing but DNS"


def test_only_the_bot_reaches_the_gateway_and_only_postgres_and_https_leave(rendered):
    for _env, manifest in each_env(rendered):
        gateway = one(manifest, "NetworkPolicy", "orchestration-supervisor")["spec"]
        (ingress,) = gateway["ingress"]
        assert ingress["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "orchestration-api"}}}]
        assert _ports(ingress) == {8081}
        assert set().union(*(_ports(rule) for rule in gateway["egress"])) == {443}
        postgres = one(manifest, "NetworkPolicy", "orchestration-supervisor-postgres")["spec"]
        assert postgres["podSelector"] == gateway["podSelector"]
        assert postgres["policyTypes"] == ["Egress"] and "ingress" not in postgres
        assert set().union(*(_ports(rule) for rule in postgres["egress"])) == {5432, 6543}
        bot = one(manifest, "NetworkPolicy", "orchestration-api")["spec"]
        assert bot["ingress"] == []
        to_gateway, to_internet = bot["egress"]
        assert to_gateway["to"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "orchestration-supervisor"}}}
        ]
        assert _ports(to_gateway) == {8081}
        assert _ports(to_internet) == {443}
        assert "10.0.0.0/8" in to_internet["to"][0]["ipBlock"]["except"]


def _postgres_cidrs(manifest: Manifest) -> list[str]:
    (rule,) = one(manifest, "NetworkPolicy", "orchestration-supervisor-postgres")["spec"]["egress"]
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
        for policy in objects(manifest, "NetworkPolicy", ORCHESTRATION):
            if policy["metadata"]["name"] == "orchestration-supervisor-postgres":
                continue
            for rule in policy["spec"].get("egress", []):
                assert not _ports(rule) & {5432, 6543}, (env, policy["metadata"]["name"])
                assert rule.get("ports"), (env, policy["metadata"]["name"], "an egress rule without ports allows all")


def test_nothing_is_exposed_outside_the_cluster_by_default(rendered):
    for env, manifest in each_env(rendered):
        assert not objects(manifest, "Ingress"), env
        assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in objects(manifest, "Service"))


def test_ingress_component_serves_slack_events_over_tls_instead_of_socket_mode(rendered, secrets_template):
    manifest = rendered["prod+ingress"]
    ingress = one(manifest, "Ingress", "orchestration-api")
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert ingress["spec"]["tls"][0]["secretName"]
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/slack/events"
    service = one(manifest, "Service", path["backend"]["service"]["name"])
    assert service["spec"]["ports"][0]["port"] == 3000
    bot = environment(manifest, pod_spec(manifest, "orchestration-api")["containers"][0], secrets_template)
    assert bot["SLACK_USE_SOCKET_MODE"] == "false"
    assert "SLACK_SIGNING_SECRET" in bot

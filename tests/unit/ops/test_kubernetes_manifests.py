"""The Kubernetes manifests an admin applies with ``kubectl apply -k ops/kubernetes``.

Every document is validated offline with ``kubernetes-validate`` (the API's own JSON
schemas, strict: an unknown field fails) against a pinned Kubernetes version; the
rest checks what the schemas cannot: the settings are real, the probes, the commands
and the vLLM arguments agree with the systemd and compose examples, and the egress
policy lets nothing out of the cluster. No cluster and no network needed.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from webapp.config.settings import EnclaveSettings

OPS = Path(__file__).resolve().parents[3] / "ops"
KUBERNETES = OPS / "kubernetes"
KUSTOMIZATION = KUBERNETES / "kustomization.yaml"
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p != KUSTOMIZATION)
# The oldest release the manifests promise to work on (autoscaling/v2, sidecar-free).
KUBERNETES_VERSION = "1.33"
NAMESPACE = "enclave"

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="pip install -e '.[test]' (kubernetes-validate)"
)


def _documents(path: Path, text: str | None = None) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text or path.read_text()) if d]


def _all() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


def _one(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in _all() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _container(deployment: str, kind: str = "Deployment") -> dict[str, Any]:
    (container,) = _one(kind, deployment)["spec"]["template"]["spec"]["containers"]
    return container


DOCUMENTS = [
    pytest.param(doc, id=f"{path.name}:{doc['kind']}/{doc['metadata']['name']}")
    for path in MANIFESTS
    for doc in _documents(path)
]


def test_the_kustomization_applies_every_manifest_with_the_compose_image() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    compose = yaml.safe_load((OPS / "compose" / "docker-compose.yml").read_text())

    assert sorted(kustomization["resources"]) == [p.name for p in MANIFESTS]
    assert kustomization["namespace"] == NAMESPACE
    images = {image["name"]: image for image in kustomization["images"]}
    built = compose["x-enclave"]["image"].split(":")[0]
    assert built == "enclave"
    assert images[built]["newName"].endswith("/enclave")
    for name in ("enclave-web", "enclave-worker", "enclave-beat"):
        assert _container(name)["image"] == built


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_document_follows_the_kubernetes_api_schema(document: dict[str, Any]) -> None:
    validated = kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)

    assert validated == KUBERNETES_VERSION


@pytest.mark.parametrize(
    ("manifest", "right", "wrong", "message"),
    [
        ("web.yaml", "readinessProbe:", "readinesProbe:", "'readinesProbe' was unexpected"),
        ("web.yaml", "averageUtilization: 70", "averageUtilization: 7O", "'7O' is not of type"),
        ("secret.yaml", "stringData:", "stringdata:", "'stringdata' was unexpected"),
    ],
)
def test_the_schema_check_catches_a_wrong_manifest(
    manifest: str, right: str, wrong: str, message: str
) -> None:
    text = (KUBERNETES / manifest).read_text()
    assert right in text

    broken = _documents(KUBERNETES / manifest, text.replace(right, wrong, 1))
    errors = []
    for document in broken:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(error.message)

    assert len(errors) == 1
    assert message in errors[0]


# --- the egress policy, read the way the API server's NetworkPolicy rules read ---


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels is read here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_allows(peer: dict[str, Any], destination: dict[str, Any]) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(destination["ip"])
        excluded = any(address in ipaddress.ip_network(c) for c in block.get("except", []))
        return address in ipaddress.ip_network(block["cidr"]) and not excluded
    if "namespace" not in destination:  # an address outside the cluster: no pod labels
        return False
    if "namespaceSelector" in peer:
        namespace = {"kubernetes.io/metadata.name": destination["namespace"]}
        if not _selects(peer["namespaceSelector"], namespace):
            return False
    elif destination["namespace"] != NAMESPACE:
        return False
    return _selects(peer.get("podSelector", {}), destination.get("labels", {}))


def _egress_allowed(destination: dict[str, Any], port: int, protocol: str) -> bool:
    policies = [d for d in _all() if d["kind"] == "NetworkPolicy"]
    egress = [p["spec"] for p in policies if "Egress" in p["spec"].get("policyTypes", [])]
    assert egress, "no policy isolates egress: everything would be allowed"
    for spec in egress:
        for rule in spec.get("egress", []):
            ports = rule.get("ports") or [{"port": port, "protocol": protocol}]
            if not any(p.get("port") == port and p.get("protocol") == protocol for p in ports):
                continue
            peers = rule.get("to") or [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
            if any(_peer_allows(peer, destination) for peer in peers):
                return True
    return False


KUBE_DNS = {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}, "ip": "10.96.0.10"}
OTHER_SYSTEM_POD = {"namespace": "kube-system", "labels": {"k8s-app": "metrics"}, "ip": "10.1.0.9"}
QDRANT = {"namespace": NAMESPACE, "labels": {"app.kubernetes.io/name": "qdrant"}, "ip": "10.1.2.3"}
VLLM = {"namespace": NAMESPACE, "labels": {"app.kubernetes.io/name": "vllm"}, "ip": "10.1.2.4"}


@pytest.mark.parametrize(
    ("destination", "port", "protocol", "allowed"),
    [
        (KUBE_DNS, 53, "UDP", True),
        (KUBE_DNS, 53, "TCP", True),
        (KUBE_DNS, 443, "TCP", False),
        (OTHER_SYSTEM_POD, 53, "UDP", False),
        (QDRANT, 6333, "TCP", True),
        (VLLM, 8000, "TCP", True),
        ({"namespace": "default", "labels": {}, "ip": "10.1.3.3"}, 8000, "TCP", False),
        ({"ip": "1.1.1.1"}, 443, "TCP", False),
        ({"ip": "8.8.8.8"}, 53, "UDP", False),
        ({"ip": "10.0.0.5"}, 5432, "TCP", False),
    ],
)
def test_the_network_policy_lets_out_only_dns_and_the_namespace(
    destination: dict[str, Any], port: int, protocol: str, allowed: bool
) -> None:
    (policy,) = [d for d in _all() if d["kind"] == "NetworkPolicy"]
    assert policy["spec"]["podSelector"] == {}  # every pod of the namespace

    assert _egress_allowed(destination, port, protocol) is allowed


# --- settings -----------------------------------------------------------------


def _variables() -> set[str]:
    """Every ENCLAVE_* variable the settings object reads (as docs/configuration.md)."""
    return {
        variable
        for _title, _intro, rows in EnclaveSettings.reference_sections()
        for variable, _field in rows
    }


def _environment() -> dict[str, str]:
    config = _one("ConfigMap", "enclave-config")["data"]
    secret = _one("Secret", "enclave-secrets")["stringData"]
    assert not set(config) & set(secret)
    return {**config, **secret}


def test_every_enclave_variable_of_the_config_and_secret_is_a_setting() -> None:
    names = {name for name in _environment() if name.startswith("ENCLAVE_")}
    secret = _one("Secret", "enclave-secrets")["stringData"]

    assert len(_variables()) > 50
    assert "ENCLAVE_SECURE_COOKIES" in _variables()
    assert "ENCLAVE_SECURE_COOKIE" not in _variables()  # a misspelling would be caught
    assert names - _variables() == set()
    assert set(secret) == {
        "ENCLAVE_SECRET_KEY", "ENCLAVE_DATABASE_URL", "ENCLAVE_BROKER_URL",
        "ENCLAVE_QDRANT_API_KEY", "ENCLAVE_METRICS_TOKEN",
    }  # fmt: skip
    assert all("CHANGE-ME" in value for value in secret.values())


def test_the_settings_object_reads_the_config_and_secret(monkeypatch, tmp_path) -> None:
    for name in _variables() | {"ENCLAVE_CONFIG"}:
        monkeypatch.delenv(name, raising=False)
    for name, value in _environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no enclave.toml

    settings = EnclaveSettings()

    assert settings.sign_in.secure_cookies is True
    assert settings.metrics.token is not None
    assert settings.metrics.token.get_secret_value() == "CHANGE-ME-metrics-token"
    assert settings.store.url == "http://qdrant:6333"
    assert settings.database_url_or_default().startswith("postgresql://")
    assert settings.broker_url_or_default().startswith("redis://")
    assert settings.embedded is False
    assert "localhost" in settings.allowed_hosts  # the probes' Host header
    endpoints = settings.inference_config().endpoints
    assert [(e.base_url, e.model) for e in endpoints] == [
        ("http://vllm-llama-3-1-8b:8000/v1", "llama-3.1-8b")
    ]


# --- the pods -----------------------------------------------------------------


def test_the_web_probes_ask_healthz_on_the_served_port_with_an_allowed_host() -> None:
    web = _container("enclave-web")
    (port,) = web["ports"]
    command = web["command"]

    assert command[command.index("--port") + 1] == str(port["containerPort"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = web[probe]["httpGet"]
        assert get["path"] == "/healthz", probe
        assert get["port"] == port["name"], probe
        assert get["httpHeaders"] == [{"name": "Host", "value": "localhost"}], probe
    service = _one("Service", "enclave-web")["spec"]
    assert service["ports"][0]["targetPort"] == port["name"]


def _systemd_command(unit: str) -> list[list[str]]:
    """The enclave commands an ExecStart runs, the venv path reduced to the program."""
    text = (OPS / "systemd" / unit).read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE)
    found = re.findall(r"/opt/enclave/venv/bin/(enclave [^;']*)", exec_start)
    return [shlex.split(command) for command in found]


def test_the_worker_and_beat_run_the_systemd_worker_units_commands() -> None:
    beat, worker = _systemd_command("enclave-worker@.service")

    assert worker == ["enclave", "worker"]
    assert beat == ["enclave", "worker", "--beat"]
    assert _container("enclave-worker")["command"] == worker
    assert _container("enclave-beat")["command"] == beat
    (web,) = _systemd_command("enclave-web.service")
    command = _container("enclave-web")["command"]
    host = command.index("--host") + 1
    assert command[:host] + command[host + 1 :] == web[:host] + web[host + 1 :]
    assert command[host] == "0.0.0.0"


def test_one_beat_and_autoscaled_web_and_workers() -> None:
    beat = _one("Deployment", "enclave-beat")["spec"]
    scaled = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in _all()
        if hpa["kind"] == "HorizontalPodAutoscaler"
    }

    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert scaled == {"enclave-web", "enclave-worker"}
    assert _one("Deployment", "enclave-worker")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ] == 600  # = TimeoutStopSec of the worker unit  # fmt: skip


def test_enclave_pods_run_as_non_root_on_a_read_only_root() -> None:
    for name in ("enclave-web", "enclave-worker", "enclave-beat"):
        pod = _one("Deployment", name)["spec"]["template"]["spec"]
        container = _container(name)
        mounts = {m["mountPath"] for m in container["volumeMounts"]}

        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}, name
        assert {"/var/lib/enclave", "/tmp", "/run/enclave-metrics"} <= mounts, name
        assert set(container["resources"]) == {"requests", "limits"}, name


def test_vllm_serves_the_compose_arguments_on_its_gpus() -> None:
    compose = yaml.safe_load((OPS / "compose" / "docker-compose.yml").read_text())
    vllm = _container("vllm-llama-3-1-8b")
    args = vllm["args"]
    (parallel,) = [a for a in args if a.startswith("--tensor-parallel-size=")]
    gpus = int(parallel.split("=")[1])

    assert args == compose["services"]["vllm-0"]["command"]
    assert vllm["resources"]["requests"]["nvidia.com/gpu"] == gpus
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == gpus
    assert vllm["readinessProbe"]["httpGet"]["path"] == "/health"
    service = _one("Service", "vllm-llama-3-1-8b")["spec"]
    assert service["ports"][0]["port"] == 8000


def test_qdrant_is_the_compose_version_with_the_secret_api_key_and_storage() -> None:
    compose = yaml.safe_load((OPS / "compose" / "docker-compose.yml").read_text())
    qdrant = _container("qdrant", kind="StatefulSet")
    env = {e["name"]: e for e in qdrant["env"]}
    statefulset = _one("StatefulSet", "qdrant")["spec"]

    assert qdrant["image"] == compose["services"]["qdrant"]["image"] + "-unprivileged"
    assert env["QDRANT__SERVICE__API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "enclave-secrets",
        "key": "ENCLAVE_QDRANT_API_KEY",
    }
    assert qdrant["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert statefulset["volumeClaimTemplates"][0]["metadata"]["name"] == "storage"
    assert {m["name"] for m in qdrant["volumeMounts"]} == {"storage"}
    assert _one("Service", "qdrant-headless")["spec"]["clusterIP"] == "None"


def test_the_ingress_streams_answers_unbuffered_over_tls() -> None:
    answers = _one("Ingress", "enclave-answers")
    rest = _one("Ingress", "enclave")
    paths = [p["path"] for p in answers["spec"]["rules"][0]["http"]["paths"]]

    assert paths == ["/chat/ask", "/api/v1/ask", "/api/v1/conversations", "/v1"]
    notes = answers["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "600"
    assert rest["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == (
        "200m"
    )
    for ingress in (answers, rest):
        assert ingress["spec"]["tls"] == [
            {"hosts": ["enclave.example.com"], "secretName": "enclave-tls"}
        ]

"""Static checks of deploy/: every manifest against its schema, the hardening settings, lints.

- Kubernetes manifests: strict OpenAPI schemas (`kubernetes-validate`, schemas bundled, no
  network) for the oldest and newest Kubernetes versions we claim; the Pod Security Standards
  "restricted" settings plus a read-only root filesystem, probes, resources, the spool's
  PersistentVolumeClaims, PDB, HPA, NetworkPolicy shape; the config loads as the proxy would.
- compose.yaml: the compose-spec schema (`check-jsonschema`, bundled) and its hardening.
- Dockerfile: numeric non-root USER, HEALTHCHECK, STOPSIGNAL, OCI labels, hashed installs;
  `hadolint` finds nothing.
- `trivy config` (offline: embedded checks, no update, no telemetry) finds nothing over
  deploy/ beyond the narrow, explained ignores in deploy/trivyignore.yaml. trivy has no
  Compose scanner: compose.yaml is covered by the checks here.

The tools come from requirements/test.lock; a missing one fails the test (never skips).
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanitizer.proxy.config import load_settings
from tests.tlscerts import Authority

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
UID = 10001
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # oldest and newest the manifests are checked for
SECRET_NAMES = ("nagios_inbound_token", "victorops_inbound_token", "victorops_api_key")
PSEUDONYM_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def tool(name: str) -> str:
    """A command installed with the project's test tools (the venv's bin, then PATH)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is not installed: scripts/setup installs it from requirements/test.lock"
        )
    return found


def run(*command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


# ---------------------------------------------------------------------------- Kubernetes


def manifest_files() -> list[Path]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    return [K8S / name for name in kustomization["resources"]]


def k8s_documents() -> list[dict[str, Any]]:
    docs = []
    for path in manifest_files():
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def k8s(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        doc
        for doc in k8s_documents()
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _cpus(quantity: str | int | float) -> float:
    """A Kubernetes CPU quantity ("500m", "1", 2) in CPUs."""
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def pod_spec() -> dict[str, Any]:
    return k8s("StatefulSet")["spec"]["template"]["spec"]


def container() -> dict[str, Any]:
    (only,) = pod_spec()["containers"]
    return only


def test_kustomization_lists_every_manifest_and_they_exist() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk, "kustomization.yaml resources and the files in the directory differ"
    namespace = kustomization["namespace"]
    for doc in k8s_documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace, doc["metadata"]["name"]
    assert [image["name"] for image in kustomization["images"]] == [
        container()["image"].split(":")[0]
    ]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_the_kubernetes_schemas(version: str) -> None:
    kubernetes_validate = _kv()
    kinds = set()
    for doc in k8s_documents():
        kinds.add(doc["kind"])
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} ({version}): {exc.message}")
    assert kinds >= {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "StatefulSet",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
    }


def test_the_schema_check_rejects_a_broken_manifest() -> None:
    """A control: the validator does look at the fields (a typo and a wrong type fail)."""
    kubernetes_validate = _kv()
    statefulset = k8s("StatefulSet")
    for mutate in (
        lambda doc: doc["spec"]["template"]["spec"]["containers"][0].update(readinessProb={}),
        lambda doc: doc["spec"]["template"]["spec"]["securityContext"].update(runAsUser="x"),
    ):
        broken = copy.deepcopy(statefulset)
        mutate(broken)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def _kv() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate is not installed: it comes from requirements/test.lock")
    return kubernetes_validate


def test_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = k8s("Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_meet_the_restricted_profile_with_a_read_only_root() -> None:
    pod = pod_spec()
    assert pod["automountServiceAccountToken"] is False
    assert pod.get("hostNetwork", False) is False
    assert pod.get("hostPID", False) is False
    assert pod.get("hostIPC", False) is False
    pod_sc = pod["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert pod_sc["runAsUser"] == UID and pod_sc["runAsGroup"] == UID
    assert pod_sc["fsGroup"] == UID  # the spool's volume is writable by the proxy
    assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault"
    sc = container()["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsNonRoot"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"]["type"] == "RuntimeDefault"
    # Only volume types the restricted profile allows; no hostPath.
    allowed = {"configMap", "secret", "emptyDir", "projected", "persistentVolumeClaim"}
    for volume in pod["volumes"]:
        kinds = set(volume) - {"name"}
        assert kinds <= allowed, volume


def test_probes_resources_and_graceful_stop() -> None:
    c = container()
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8080}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["port"] in ("http", 8080)
    resources = c["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}
    # The proxy's process (its event loop, plus threads that release the GIL in C: the spool
    # writer's SQLite and fsync) and its sanitizing worker process: 1.47 CPUs at saturation.
    assert 1.5 <= _cpus(resources["limits"]["cpu"]) < 2.0
    assert _cpus(resources["requests"]["cpu"]) <= _cpus(resources["limits"]["cpu"])
    # uvicorn drains for up to 30 s after SIGTERM; preStop pauses before that.
    assert pod_spec()["terminationGracePeriodSeconds"] >= 40
    assert "preStop" in c["lifecycle"]
    text = (K8S / "statefulset.yaml").read_text(encoding="utf-8")
    assert "bench/proxy.py" in text and "bench/responsiveness.py" in text


def test_each_replica_owns_its_spool_on_a_claim() -> None:
    spec = k8s("StatefulSet")["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    mounts = {m["name"]: m for m in container()["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]]["mountPath"] == "/var/lib/alert-sanitizer"
    assert mounts["config"]["readOnly"] is True and mounts["secrets"]["readOnly"] is True
    assert mounts["secrets"]["mountPath"] == "/run/secrets"
    assert mounts["tmp"]["mountPath"] == "/tmp"
    assert "replicas" not in spec  # left to the HPA, so re-applying does not reset it
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    assert volumes["secrets"]["secret"]["secretName"] == "alert-sanitizer-secrets"
    sources = [s["configMap"]["name"] for s in volumes["config"]["projected"]["sources"]]
    assert sources == ["alert-sanitizer-config", "alert-sanitizer-policies"]
    (env,) = container()["env"]
    assert env["name"] == "SANITIZER_KEY_PSEUDONYM"
    assert env["valueFrom"]["secretKeyRef"]["name"] == "alert-sanitizer-secrets"


def test_services_select_the_pods() -> None:
    statefulset = k8s("StatefulSet")
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    selector = statefulset["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    service = k8s("Service", "alert-sanitizer")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    # The drain label is in the Service's selector but not the StatefulSet's.
    assert "alert-sanitizer.io/receiving" in service["spec"]["selector"]
    assert "alert-sanitizer.io/receiving" not in selector
    headless = k8s("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert [p["port"] for p in service["spec"]["ports"]] == [8080]


def test_disruption_budget_and_autoscaler() -> None:
    selector = k8s("StatefulSet")["spec"]["selector"]["matchLabels"]
    pdb = k8s("PodDisruptionBudget")["spec"]
    assert pdb["selector"]["matchLabels"] == selector
    assert pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable") == 1
    hpa = k8s("HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "alert-sanitizer",
    }
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"
    # Scaling down strands a replica's spool: only ever by hand, after draining.
    assert hpa["behavior"]["scaleDown"]["selectPolicy"] == "Disabled"


def test_network_policy_admits_labelled_senders_and_reaches_only_dns_and_https() -> None:
    policy = k8s("NetworkPolicy")["spec"]
    assert (
        policy["podSelector"]["matchLabels"]
        == k8s("StatefulSet")["spec"]["selector"]["matchLabels"]
    )
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8080}]
    for peer in ingress["from"]:  # every peer is a labelled pod, none is "anything"
        assert peer["podSelector"]["matchLabels"] == {"alert-sanitizer.io/sender": "true"}
        assert "ipBlock" not in peer
    dns, upstream = policy["egress"]
    assert sorted((p["protocol"], p["port"]) for p in dns["ports"]) == [("TCP", 53), ("UDP", 53)]
    (dns_peer,) = dns["to"]
    assert dns_peer["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert upstream["ports"] == [{"protocol": "TCP", "port": 443}]
    for peer in upstream["to"]:
        assert "10.0.0.0/8" in peer["ipBlock"]["except"] or peer["ipBlock"]["cidr"] == "::/0"
        assert (
            "169.254.0.0/16" in peer["ipBlock"]["except"]
            or "fe80::/10" in peer["ipBlock"]["except"]
        )


def _secrets_dir(tmp_path: Path) -> Path:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in SECRET_NAMES:
        (secrets / name).write_text(f"{name}-0123456789abcdef\n", encoding="utf-8")
    return secrets


def _tls_dir(tmp_path: Path) -> Path:
    """What the configs expect in /run/tls/: tls.crt, tls.key and the CA, ca.crt."""
    tls = tmp_path / "tls"
    ca = Authority.create(tls / "ca")
    pair = ca.issue(tls, "server", server_names=("alert-sanitizer", "localhost", "127.0.0.1"))
    pair.cert.rename(tls / "tls.crt")
    pair.key.rename(tls / "tls.key")
    ca.cert.rename(tls / "ca.crt")
    return tls


def test_kubernetes_config_and_policies_load(tmp_path: Path) -> None:
    """The ConfigMaps, laid out as the projected volume lays them out, load as a proxy config."""
    config = k8s("ConfigMap", "alert-sanitizer-config")["data"]
    policies = k8s("ConfigMap", "alert-sanitizer-policies")["data"]
    etc = tmp_path / "etc"
    # The kubelet's layout: NAME -> ..data/NAME, ..data -> ..<timestamp>/ holding the files.
    payload = etc / "..2026_01_01_00_00_00.000000000"
    payload.mkdir(parents=True)
    (etc / "..data").symlink_to(payload.name)
    secrets = _secrets_dir(tmp_path)
    tls = _tls_dir(tmp_path)
    for name, text in {**config, **policies}.items():
        text = text.replace("/run/secrets/", f"{secrets}/").replace("/run/tls/", f"{tls}/")
        (payload / name).write_text(text, encoding="utf-8")
        (etc / name).symlink_to(f"..data/{name}")
    settings = load_settings(
        etc / "config.yaml", environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY}
    )
    assert set(settings.routes) == {"nagios", "victorops"}
    for route in settings.routes.values():
        assert route.policy_path.resolve().parent == payload.resolve()
    # HTTPS with the certificate of the Secret alert-sanitizer-tls, mounted read-only there.
    assert settings.tls is not None and settings.tls.cert_path == tls / "tls.crt"
    mounts = {m["name"]: m for m in container()["volumeMounts"]}
    assert mounts["tls"] == {"name": "tls", "mountPath": "/run/tls", "readOnly": True}
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "alert-sanitizer-tls"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container()[probe]["httpGet"]["scheme"] == "HTTPS"
    # Every secret the config names is a key of the Secret the pod mounts (documented keys).
    named = set(re.findall(r"/run/secrets/(\w+)", config["config.yaml"]))
    assert named == set(SECRET_NAMES)
    statefulset_text = (K8S / "statefulset.yaml").read_text(encoding="utf-8")
    for name in (*SECRET_NAMES, "pseudonym_key"):
        assert name in statefulset_text


def test_policies_configmap_is_current_with_rules() -> None:
    result = run(sys.executable, str(ROOT / "scripts" / "deploy-sync-policies"), "--check")
    assert result.returncode == 0, result.stderr
    policies = k8s("ConfigMap", "alert-sanitizer-policies")["data"]
    assert policies
    for name, text in policies.items():
        assert text == (ROOT / "rules" / name).read_text(encoding="utf-8"), name


# ------------------------------------------- shared spool (deploy/kubernetes-postgres)

OVERLAY = DEPLOY / "kubernetes-postgres"


def _apply_json_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> None:
    """The RFC 6902 operations the overlay uses: replace, and add (`-` appends to a list)."""
    for op in ops:
        *parents, last = op["path"].strip("/").split("/")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if op["op"] == "add" and isinstance(node, list):
            assert last == "-", op
            node.append(copy.deepcopy(op["value"]))
        else:
            assert op["op"] in ("add", "replace"), op
            assert op["op"] == "add" or last in node, op
            node[last] = copy.deepcopy(op["value"])


def overlay_documents() -> list[dict[str, Any]]:
    """The overlay rendered as `kubectl kustomize deploy/kubernetes-postgres` renders it, for
    what it uses: the base, its own resources, a replacing configMapGenerator, `$patch:
    delete` patches and JSON patches with a target."""
    kustomization = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["resources"][0] == "../kubernetes"
    docs = copy.deepcopy(k8s_documents())
    for name in kustomization["resources"][1:]:
        text = (OVERLAY / name).read_text(encoding="utf-8")
        docs += [doc for doc in yaml.safe_load_all(text) if doc]

    def find(kind: str, name: str) -> dict[str, Any]:
        (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
        return found

    for generator in kustomization["configMapGenerator"]:
        assert generator["behavior"] == "replace"
        target = find("ConfigMap", generator["name"])
        target["data"] = {
            Path(f).name: (OVERLAY / f).read_text(encoding="utf-8") for f in generator["files"]
        }
    for patch in kustomization["patches"]:
        body = yaml.safe_load(patch["patch"])
        if isinstance(body, dict) and body.get("$patch") == "delete":
            docs.remove(find(body["kind"], body["metadata"]["name"]))
        else:
            _apply_json_patch(find(patch["target"]["kind"], patch["target"]["name"]), body)
    return docs


def overlay(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in overlay_documents()
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_shared_spool_manifests_match_the_kubernetes_schemas(version: str) -> None:
    kubernetes_validate = _kv()
    kinds = set()
    for doc in overlay_documents():
        kinds.add(doc["kind"])
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} ({version}): {exc.message}")
    assert "StatefulSet" not in kinds and "Deployment" in kinds


def test_shared_spool_deployment_is_the_statefulset_pod_without_a_volume() -> None:
    """The Deployment runs the StatefulSet's pod, minus the per-replica spool volume: the same
    image, probes, resources and hardening, kept in step by this test."""
    deployment = overlay("Deployment")
    spec = deployment["spec"]
    assert "replicas" not in spec  # left to the HPA
    assert "volumeClaimTemplates" not in spec
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    pod = copy.deepcopy(spec["template"])
    expected = copy.deepcopy(k8s("StatefulSet")["spec"]["template"])
    (c,) = expected["spec"]["containers"]
    c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "spool"]
    for key in ("fsGroup", "fsGroupChangePolicy"):
        del expected["spec"]["securityContext"][key]
    assert pod == expected
    kinds = {kind for v in pod["spec"]["volumes"] for kind in v if kind != "name"}
    assert "persistentVolumeClaim" not in kinds
    assert spec["selector"] == k8s("StatefulSet")["spec"]["selector"]
    assert [d["metadata"]["name"] for d in overlay_documents() if d["kind"] == "Service"] == [
        "alert-sanitizer"
    ]


def test_shared_spool_autoscaler_may_scale_down_and_the_budget_still_applies() -> None:
    hpa = overlay("HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "alert-sanitizer",
    }
    scale_down = hpa["behavior"]["scaleDown"]
    assert scale_down["selectPolicy"] != "Disabled"
    assert scale_down["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    pdb = overlay("PodDisruptionBudget")["spec"]
    assert (
        pdb["selector"]["matchLabels"] == overlay("Deployment")["spec"]["selector"]["matchLabels"]
    )


def test_shared_spool_network_policy_adds_only_the_database() -> None:
    base = k8s("NetworkPolicy")["spec"]
    shared = overlay("NetworkPolicy")["spec"]
    assert shared["ingress"] == base["ingress"]
    assert shared["egress"][:-1] == base["egress"]
    database = shared["egress"][-1]
    assert database["ports"] == [{"protocol": "TCP", "port": 5432}]
    (peer,) = database["to"]
    assert peer["podSelector"]["matchLabels"] == {"alert-sanitizer.io/spool-database": "true"}


def test_shared_spool_config_is_the_base_config_with_a_postgres_spool(tmp_path: Path) -> None:
    base = k8s("ConfigMap", "alert-sanitizer-config")["data"]["config.yaml"]
    shared = overlay("ConfigMap", "alert-sanitizer-config")["data"]["config.yaml"]
    base_lines, shared_lines = base.splitlines(), shared.splitlines()
    changed = [(a, b) for a, b in zip(base_lines, shared_lines, strict=True) if a != b]
    assert changed == [
        (
            "spool: {path: /var/lib/alert-sanitizer/spool, max_bytes: 1073741824}",
            "spool: {backend: postgres, dsn: {file: /run/secrets/spool_dsn}, max_bytes:"
            " 1073741824}",
        )
    ]
    etc = tmp_path / "etc"
    etc.mkdir()
    secrets = _secrets_dir(tmp_path)
    dsn = "postgresql://sanitizer:secret@db.example:5432/alerts"
    (secrets / "spool_dsn").write_text(dsn + "\n", encoding="utf-8")
    tls = _tls_dir(tmp_path)
    policies = overlay("ConfigMap", "alert-sanitizer-policies")["data"]
    for name, text in {"config.yaml": shared, **policies}.items():
        text = text.replace("/run/secrets/", f"{secrets}/").replace("/run/tls/", f"{tls}/")
        (etc / name).write_text(text, encoding="utf-8")
    settings = load_settings(
        etc / "config.yaml", environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY}
    )
    assert (settings.spool_backend, settings.spool_dsn) == ("postgres", dsn)
    assert dsn not in repr(settings)


# ---------------------------------------------------------------------------- Compose


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_matches_the_compose_spec() -> None:
    checker = tool("check-jsonschema")
    result = run(checker, "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = compose()
    broken["services"]["sanitizer"]["read_only"] = "very"
    broken["services"]["sanitizer"]["cap_dorp"] = ["ALL"]
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))
    assert result.returncode != 0


def test_compose_services_are_hardened() -> None:
    doc = compose()
    for name, service in doc["services"].items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        uid, _, gid = str(service["user"]).partition(":")
        assert int(uid) == UID and int(gid) == UID, name
        assert not service.get("privileged", False), name
        assert "cap_add" not in service, name
        assert service.get("network_mode") != "host", name
    proxy = doc["services"]["sanitizer"]
    assert proxy["healthcheck"]["test"][0] == "CMD"
    assert "/healthz" in " ".join(proxy["healthcheck"]["test"])
    assert proxy["stop_signal"] == "SIGTERM"
    assert proxy["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert any(t.startswith("/tmp") for t in proxy["tmpfs"])
    volumes = dict(v.split(":", 1) for v in proxy["volumes"])
    assert volumes["spool"] == "/var/lib/alert-sanitizer"
    assert "spool" in doc["volumes"]
    assert volumes["./config.example.yaml"] == "/etc/alert-sanitizer/config.yaml:ro"
    # Secrets are files; every one the config names is given to the service.
    config_text = (DEPLOY / "config.example.yaml").read_text(encoding="utf-8")
    named = set(re.findall(r"/run/secrets/(\w+)", config_text))
    assert named == set(proxy["secrets"]) == set(SECRET_NAMES)
    for secret in doc["secrets"].values():
        assert set(secret) == {"file"}
    # No secret value written into the file itself.
    assert proxy["environment"]["SANITIZER_KEY_PSEUDONYM"].startswith("${")


def test_example_config_loads(tmp_path: Path) -> None:
    secrets = _secrets_dir(tmp_path)
    text = (DEPLOY / "config.example.yaml").read_text(encoding="utf-8")
    assert "/opt/alert-sanitizer/rules/" in text
    text = (
        text.replace("/run/secrets/", f"{secrets}/")
        .replace("/opt/alert-sanitizer/rules/", f"{ROOT / 'rules'}/")
        .replace("/run/tls/", f"{_tls_dir(tmp_path)}/")
    )
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path, environ={"SANITIZER_KEY_PSEUDONYM": PSEUDONYM_KEY})
    assert set(settings.routes) == {"nagios", "victorops"}
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.tls is not None  # compose mounts ./tls at /run/tls


# ---------------------------------------------------------------------------- Dockerfile


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.lstrip().startswith("#"):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    stages: list[list[tuple[str, str]]] = [[]]
    for line in lines:
        instruction, _, args = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), " ".join(args.split())))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


def test_dockerfile_final_stage_is_hardened() -> None:
    stages = dockerfile_stages()
    preamble, *build_stages, final = stages
    assert build_stages, "multi-stage: a build stage before the final one"
    assert any(a.startswith("BASE_IMAGE=python:3.1") for a in instructions(preamble, "ARG"))
    assert instructions(final, "FROM") == ["${BASE_IMAGE}"]
    (user,) = instructions(final, "USER")
    uid, _, gid = user.partition(":")
    assert int(uid) == UID and int(gid) == UID
    assert instructions(final, "STOPSIGNAL") == ["SIGTERM"]
    (healthcheck,) = instructions(final, "HEALTHCHECK")
    assert "/healthz" in healthcheck and "urllib" in healthcheck
    assert instructions(final, "EXPOSE") == ["8080"]
    labels = " ".join(instructions(final, "LABEL"))
    for key in ("source", "version", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in labels
    env = " ".join(instructions(final, "ENV"))
    assert "SANITIZER_RULES_DIR=/opt/alert-sanitizer/rules" in env
    assert any(a.startswith("rules/ ") for a in instructions(final, "COPY"))
    assert instructions(final, "ENTRYPOINT") == ['["sanitizer"]']
    # Nothing in the final stage installs or compiles: it only copies the built venv.
    final_runs = " ".join(instructions(final, "RUN"))
    for word in ("pip ", "apt-get", "gcc", "build-essential", "curl", "wget"):
        assert word not in final_runs, word


def test_dockerfile_installs_only_hashed_locked_wheels() -> None:
    build = dockerfile_stages()[1]
    runs = [shlex.split(r) for r in instructions(build, "RUN")]
    installs = [
        part
        for run_args in runs
        for part in " ".join(run_args).split("&&")
        if "pip install" in part
    ]
    locked = [i for i in installs if " -r " in i]
    assert {i.split(" -r ")[1].strip() for i in locked} == {
        "/locks/build.lock",
        "/locks/runtime.lock",
    }
    for install in locked:
        assert "--require-hashes" in install and "--only-binary=:all:" in install
    # The project's own wheel is built here, then installed without dependencies.
    assert any("--no-deps /dist/" in i for i in installs)
    copies = " ".join(instructions(build, "COPY"))
    assert "requirements/runtime.lock" in copies and "requirements/build.lock" in copies
    assert "PIP_NO_CACHE_DIR=1" in " ".join(instructions(build, "ENV"))


def test_dockerignore_keeps_local_state_out() -> None:
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"  # an allowlist: .venv, .git, var/ never reach the builder
    assert "!deploy/wheels/" in rules


def test_hadolint_finds_nothing() -> None:
    result = run(tool("hadolint"), "--no-color", str(DEPLOY / "Dockerfile"))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# ---------------------------------------------------------------------------- trivy


def test_trivy_config_finds_nothing_unexplained(tmp_path: Path) -> None:
    ignore = DEPLOY / "trivyignore.yaml"
    entries = yaml.safe_load(ignore.read_text(encoding="utf-8"))["misconfigurations"]
    for entry in entries:  # each ignore is narrow (named files) and says why
        assert entry["paths"] and len(entry["statement"]) > 80, entry["id"]
    result = run(
        tool("trivy"),
        "config",
        "--skip-check-update",  # the checks embedded in the binary: no download
        "--skip-version-check",
        "--disable-telemetry",
        "--cache-dir",
        str(tmp_path / "trivy-cache"),
        "--skip-files",
        "deploy/Dockerfile.dockerignore",
        "--ignorefile",
        str(ignore),
        "--format",
        "json",
        "--exit-code",
        "3",
        "deploy",
        timeout=300,
    )
    assert result.returncode in (0, 3), result.stderr
    report = json.loads(result.stdout)
    scanned = {r["Target"]: r for r in report.get("Results", [])}
    assert "Dockerfile" in scanned
    assert "kubernetes/statefulset.yaml" in scanned
    findings = [
        f"{target}: {m['ID']} {m['Severity']} {m['Title']}"
        for target, r in scanned.items()
        for m in r.get("Misconfigurations", [])
        if m.get("Status") == "FAIL"
    ]
    assert not findings, "\n".join(findings)
    assert result.returncode == 0

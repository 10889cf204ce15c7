"""deploy/k8s: every document the base and the production overlay render to is valid against
the Kubernetes JSON schemas (kubernetes-validate bundles them: no cluster, no network), strictly
(unknown fields refused), and carries what operations rely on: probes on /api/v1/ready and
/api/v1/health, one scheduler replica with Recreate, websocket timeouts on the Ingress.

No kubectl or kustomize here: `render` below applies the few kustomize features these
kustomizations use (resources, components, namespace, labels, images, strategic-merge and
JSON 6902 patches, `$patch: delete`) and refuses any other field, so a kustomization that
grows beyond it fails here instead of being half-rendered."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"  # the oldest version the manifests promise to work on
KNOWN = {"apiVersion", "kind", "resources", "components", "namespace", "labels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
CRDS = {("keda.sh/v1alpha1", "ScaledObject")}  # not in the core schemas: checked by hand below


def _load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _pointer(path: str) -> list[str | int]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    return [int(p) if p.isdigit() else p for p in parts]


def _json6902(doc: dict, ops: list[dict]) -> None:
    for op in ops:
        *parent_path, last = _pointer(op["path"])
        parent = doc
        for key in parent_path:
            parent = parent[key]
        if op["op"] in ("replace", "add"):
            if op["op"] == "replace":
                parent[last]  # must exist  # noqa: B018
            if isinstance(parent, list) and op["op"] == "add":
                parent.insert(len(parent) if last == "-" else last, op["value"])
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[last]
        else:
            raise AssertionError(f"JSON patch op {op['op']} is not supported by this renderer")


def _merge(base, patch):
    """Strategic merge as kustomize does it for these patches: maps merge, lists of maps with
    a `name` merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and all(
            isinstance(i, dict) and "name" in i for i in base + patch):
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            match = next((i for i, b in enumerate(out) if b["name"] == item["name"]), None)
            if match is None:
                out.append(copy.deepcopy(item))
            else:
                out[match] = _merge(out[match], item)
        return out
    return copy.deepcopy(patch)


def _key(doc: dict) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _set_images(node, images: dict[str, dict]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                for container in value:
                    name, _, tag = container["image"].partition(":")
                    if name in images:
                        image = images[name]
                        container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
            else:
                _set_images(value, images)
    elif isinstance(node, list):
        for item in node:
            _set_images(item, images)


def render(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN
    assert not unknown, f"{directory}: kustomization fields this renderer does not apply: {unknown}"
    docs: list[dict] = []
    for entry in kustomization.get("resources", []) + kustomization.get("components", []):
        path = directory / entry
        docs += render(path) if path.is_dir() else _load(path)
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            (body,) = _load(directory / patch["path"])
        else:
            body = yaml.safe_load(patch["patch"])
        if isinstance(body, list):  # JSON 6902, aimed by target
            target = patch["target"]
            hits = [d for d in docs if d["kind"] == target["kind"] and d["metadata"]["name"] == target["name"]]
            assert len(hits) == 1, f"patch target {target} matches {len(hits)} documents"
            _json6902(hits[0], body)
            continue
        hits = [i for i, d in enumerate(docs) if _key(d) == _key(body)]
        assert len(hits) == 1, f"patch {_key(body)} matches {len(hits)} documents"
        if body.get("$patch") == "delete":
            del docs[hits[0]]
        else:
            docs[hits[0]] = _merge(docs[hits[0]], body)
    for label in kustomization.get("labels", []):
        assert not label.get("includeSelectors"), "selectors are immutable: labels go on metadata only"
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    _set_images(docs, {i["name"]: i for i in kustomization.get("images", [])})
    keys = [_key(d) for d in docs]
    assert len(keys) == len(set(keys)), f"{directory}: duplicate resources"
    return docs


def validate(docs: list[dict]) -> None:
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


TREES = ["base", "overlays/production"]


@pytest.mark.parametrize("tree", TREES)
def test_rendered_manifests_are_valid_kubernetes(tree):
    docs = render(K8S / tree)
    assert len(docs) >= 15
    validate(docs)


def test_keda_component_swaps_the_worker_hpa_for_a_scaled_object():
    base = render(K8S / "base")
    overlay = K8S / "components" / "keda"
    component = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    docs = [copy.deepcopy(d) for d in base] + _load(overlay / "scaledobject.yaml")
    (delete,) = _load(overlay / "delete-worker-hpa.yaml")
    docs = [d for d in docs if _key(d) != _key(delete)]
    validate(docs)
    (scaled,) = [d for d in docs if d["kind"] == "ScaledObject"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == "rq:queue:default"
    assert not [d for d in docs if d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == "worker"]


def _by(docs: list[dict], kind: str, name: str) -> dict:
    (doc,) = [d for d in docs if _key(d) == (kind, name)]
    return doc


def test_what_operations_rely_on():
    docs = render(K8S / "overlays" / "production")
    app = _by(docs, "Deployment", "app")
    assert app["spec"]["replicas"] == 3 and app["metadata"]["namespace"] == "cospace"
    (container,) = app["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/v1/health"
    assert container["image"] == "registry.example.com/cospace/backend:2026.05.1"
    assert container["resources"]["requests"]["cpu"] == "1"  # the overlay's patch
    assert "alembic" not in " ".join(container["command"])  # the Job migrates, once
    hpa = _by(docs, "HorizontalPodAutoscaler", "app")
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    scheduler = _by(docs, "Deployment", "scheduler")
    assert scheduler["spec"]["replicas"] == 1 and scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert not [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"
                and d["spec"]["scaleTargetRef"]["name"] in ("scheduler", "bot")]
    bot = _by(docs, "Deployment", "bot")
    assert bot["spec"]["replicas"] == 1 and bot["spec"]["strategy"]["type"] == "Recreate"
    ingress = _by(docs, "Ingress", "cospace")
    assert ingress["spec"]["rules"][0]["host"] == "cospace.ru"
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert not any("affinity" in k for k in notes)  # no sticky sessions: state is in Redis
    paths = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths["/_event"] == paths["/api"] == "app" and paths["/"] == "web"
    assert _by(docs, "Job", "cospace-migrate")["spec"]["template"]["spec"]["containers"][0]["command"] \
        == ["alembic", "upgrade", "head"]
    assert _by(docs, "ConfigMap", "cospace-config")["data"]["PUBLIC_URL"] == "https://cospace.ru"
    secret = _by(docs, "Secret", "cospace-secrets")
    assert all("replace-me" in v or v == "" for v in secret["stringData"].values())  # examples only


@pytest.mark.parametrize("breakage", [
    ("Deployment", "app", lambda d: d["spec"].__setitem__("replicas", "three")),
    ("Deployment", "app", lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("bogus", 1)),
    ("Deployment", "scheduler", lambda d: d["spec"].pop("selector")),
    ("Ingress", "cospace", lambda d: d["spec"]["rules"][0]["http"]["paths"][0].pop("backend")),
    ("HorizontalPodAutoscaler", "app", lambda d: d["spec"].__setitem__("maxReplicas", None)),
])
def test_an_invalid_manifest_fails(breakage):
    kind, name, breaking = breakage
    docs = render(K8S / "base")
    breaking(_by(docs, kind, name))
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(docs)


def test_the_renderer_refuses_what_it_does_not_apply(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n")
    with pytest.raises(AssertionError, match="configMapGenerator"):
        render(tmp_path)

"""``manifest.json`` of a replication: the package and software versions, the build's inputs
and parameters, the plan and specifications, and the SHA-256 of every output file.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

from alliances.analysis.plan import Plan
from alliances.version import __version__


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "pandas", "pyarrow", "scipy", "statsmodels", "linearmodels", "matplotlib", "dask",
                "distributed"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def build_manifest(out: Path, build_meta: dict, plan: Plan, specs: dict, panel_sha: str, plan_path) -> dict:
    outputs = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "manifest.json" and not path.name.startswith("."):
            outputs[str(path.relative_to(out))] = sha256_bytes(path.read_bytes())
    return {
        "package": "alliances", "version": __version__, "software": _versions(),
        "build": {"parameters": build_meta["parameters"], "rows": build_meta["rows"], "panel_sha256": panel_sha,
                  "inputs": {i["source"]: {"file": i["file"], "sha256": i["sha256"], "version": i["version"]}
                             for i in build_meta["inputs"]}},
        "plan": {"file": str(plan_path), "sha256": sha256_bytes(Path(plan_path).read_bytes())},
        "specifications": {r.name: {"file": str(r.path), "sha256": sha256_bytes(r.path.read_bytes()),
                                    "estimators": list(r.estimators), "spec": specs[r.name].to_dict()}
                           for r in plan.runs},
        "outputs": outputs,
    }

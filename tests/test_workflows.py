"""The publishing workflows (.github/workflows): GitHub's schema, zizmor's audit, least privilege, pins;
and the citation file (CITATION.cff) against its schema.

check-jsonschema and zizmor come from requirements-site.txt (``make test`` installs it); both run
offline: the workflow schema is vendored in check-jsonschema, and ``zizmor --offline`` skips the audits
that would ask GitHub.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -r requirements-site.txt (make test does)")
    return str(path)


def _load(path: Path) -> dict:
    # YAML 1.1 reads the key `on` as True
    data = yaml.safe_load(path.read_text())
    return {("on" if key is True else key): value for key, value in data.items()}


def test_there_is_a_publishing_workflow():
    assert [p.name for p in WORKFLOWS] == ["book.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path):
    run = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing_of_medium_or_high_severity():
    run = subprocess.run(
        [_tool("zizmor"), "--offline", "--min-severity", "medium", "--format", "plain", str(ROOT / ".github")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_pinned_actions(path):
    workflow = _load(path)
    assert workflow["permissions"] == {}, "the default token has no permission; jobs ask for theirs"
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        allowed = {"deploy": {"pages", "id-token"}, "report": {"issues"}}.get(name, set())
        assert writes <= allowed, f"job {name} may write {writes - allowed}"
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


def test_the_workflow_runs_what_ci_runs_and_deploys_only_main():
    workflow = _load(ROOT / ".github" / "workflows" / "book.yml")
    assert {"push", "pull_request", "schedule"} <= set(workflow["on"])
    runs = " ".join(step.get("run", "") for step in workflow["jobs"]["build"]["steps"])
    for target in ("make lint", "make test", "make book", "make site-test", "make pdf"):
        assert target in runs
    deploy = workflow["jobs"]["deploy"]
    assert "refs/heads/main" in deploy["if"] and deploy["needs"] == "build"
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    assert "schedule" in workflow["jobs"]["report"]["if"]


def test_citation_file_is_valid_and_names_the_books_repository():
    run = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.citation-file-format", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert citation["repository-code"] == config["repository"]["url"]
    assert citation["url"] == config["html"]["baseurl"].rstrip("/") + "/"
    assert (ROOT / "LICENSE").read_text().startswith(f"{citation['license']} License")

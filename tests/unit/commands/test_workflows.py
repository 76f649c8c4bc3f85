from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

WORKFLOWS = Path(__file__).resolve().parents[3] / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _run_lines(workflow: dict[Any, Any]) -> str:
    return "\n".join(step.get("run", "") for step in _steps(workflow))


def _all_workflows() -> dict[str, dict[Any, Any]]:
    return {path.name: _load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def test_ci_runs_make_test_on_push_and_pull_request() -> None:
    workflow = _load("ci.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"push", "pull_request"}
    assert "make test" in _run_lines(workflow)
    assert workflow["permissions"] == {"contents": "read"}


def test_ci_validates_the_template_and_builds_the_layer_with_the_sam_cli() -> None:
    workflow = _load("ci.yml")
    job = workflow["jobs"]["sam"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.strip() == "sam validate --lint" for run in runs)
    assert any(run.strip() == "sam build" for run in runs)  # samconfig.toml: no flags needed
    assert any('aws-sam-cli==$SAM_CLI_VERSION"' in run for run in runs)
    (python,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"]["python-version"] == "3.13"  # the layer's bytecode is compiled by Lambda's Python


def test_every_action_is_pinned_to_a_commit_and_every_checkout_drops_its_credentials() -> None:
    found = 0
    for name, workflow in _all_workflows().items():
        for step in _steps(workflow):
            uses = step.get("uses")
            if uses is None:
                continue
            found += 1
            assert PINNED.match(uses), f"{name}: {uses} is not pinned to a commit SHA"
            if uses.startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}: checkout keeps credentials"
    assert found >= 10
    texts = [(WORKFLOWS / name).read_text(encoding="utf-8") for name in _all_workflows()]
    for line in (line for text in texts for line in text.splitlines() if re.search(r"\buses: \S+@[0-9a-f]{40}", line)):
        assert re.search(r"# v\d", line), f"say which release the SHA is: {line.strip()}"


def test_the_sam_cli_is_the_same_pinned_version_everywhere() -> None:
    versions = {name: workflow.get("env", {}).get("SAM_CLI_VERSION") for name, workflow in _all_workflows().items()}
    pinned = {version for name, version in versions.items() if "aws-sam-cli" in (WORKFLOWS / name).read_text()}
    assert len(pinned) == 1 and re.fullmatch(r"\d+\.\d+\.\d+", pinned.pop() or "")


def test_registration_runs_by_hand_from_the_release_and_dry_on_pull_requests() -> None:
    workflow = _load("register-commands.yml")
    triggers = workflow[True]
    assert set(triggers) == {"workflow_dispatch", "pull_request", "workflow_call"}  # no tag trigger of its own
    assert triggers["workflow_call"]["inputs"]["scope"]["default"] == "global"
    script = _run_lines(workflow)
    assert "kaltura-discord register" in script
    assert '[ "$EVENT" = pull_request ]' in script and "--dry-run" in script
    # workflow inputs reach the shell only through the environment, never pasted into the script
    assert "${{" not in script


def test_the_bot_token_is_read_only_by_the_register_step_behind_an_environment() -> None:
    workflow = _load("register-commands.yml")
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "discord"  # the token is an environment secret; the environment can need approval
    assert "env" not in job and "env" not in workflow
    token_steps = [step for step in job["steps"] if "DISCORD_BOT_TOKEN" in str(step)]
    assert [step["name"] for step in token_steps] == ["Register"]
    assert token_steps[0]["env"]["DISCORD_BOT_TOKEN"] == "${{ secrets.DISCORD_BOT_TOKEN }}"
    steps = [step.get("name") or step.get("uses") for step in job["steps"]]
    assert steps.index("Register") > steps.index("Install")  # pip runs without the token
    for name, other in _all_workflows().items():
        if name != "register-commands.yml":
            assert "DISCORD_BOT_TOKEN" not in (WORKFLOWS / name).read_text(), name


def test_the_release_tests_builds_deploys_through_oidc_then_registers() -> None:
    workflow = _load("release.yml")
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    jobs = workflow["jobs"]
    assert list(jobs) == ["test", "build", "deploy", "register"]
    assert (jobs["build"]["needs"], jobs["deploy"]["needs"], jobs["register"]["needs"]) == ("test", "build", "deploy")
    assert "make test" in _run_lines({"jobs": {"test": jobs["test"]}})
    build = "\n".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "sam validate --lint" in build and "sam build" in build
    deploy = jobs["deploy"]
    assert deploy["environment"] == "production"
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}  # OIDC, only where it deploys
    for name in ("test", "build", "register"):
        assert "id-token" not in str(jobs[name].get("permissions", {})), name
    credentials = [s for s in deploy["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert len(credentials) == 1 and set(credentials[0]["with"]) >= {"role-to-assume", "aws-region"}
    assert "aws-access-key-id" not in str(workflow)  # no stored AWS keys
    deploy_script = "\n".join(step.get("run", "") for step in deploy["steps"])
    assert "sam deploy" in deploy_script and "--no-confirm-changeset" in deploy_script
    assert (
        "sam build" not in deploy_script and "pip install -e" not in deploy_script
    )  # no project code with credentials
    assert jobs["register"]["uses"] == "./.github/workflows/register-commands.yml"
    assert jobs["register"]["with"] == {"scope": "global"}

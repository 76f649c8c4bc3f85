from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

WORKFLOWS = Path(__file__).resolve().parents[3] / ".github" / "workflows"


def _load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _run_lines(workflow: dict[Any, Any]) -> str:
    return "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])


def test_ci_runs_make_test_on_push_and_pull_request() -> None:
    workflow = _load("ci.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"push", "pull_request"}
    assert "make test" in _run_lines(workflow)
    assert workflow["permissions"] == {"contents": "read"}


def test_registration_runs_on_tags_by_hand_and_dry_on_pull_requests() -> None:
    workflow = _load("register-commands.yml")
    triggers = workflow[True]
    assert triggers["push"] == {"tags": ["v*"]}
    assert "workflow_dispatch" in triggers and "pull_request" in triggers
    script = _run_lines(workflow)
    assert "scripts/register_commands.py" in script
    assert '[ "$EVENT" = pull_request ]' in script and "--dry-run" in script
    (job,) = workflow["jobs"].values()
    assert job["env"] == {
        "DISCORD_APPLICATION_ID": "${{ secrets.DISCORD_APPLICATION_ID }}",
        "DISCORD_BOT_TOKEN": "${{ secrets.DISCORD_BOT_TOKEN }}",
    }
    # workflow inputs reach the shell only through the environment, never pasted into the script
    assert "${{" not in script

#!/usr/bin/env python3
"""Keep the files generated from the command definitions in step with them.

    python scripts/generate_command_docs.py --write    # regenerate docs/commands.md and config/commands.manifest.json
    python scripts/generate_command_docs.py --check    # fail if either is stale, a definition breaks Discord's
                                                       # limits, or a change lacks its version bump
    python scripts/generate_command_docs.py --release  # when cutting a release: snapshot the definitions into
                                                       # config/commands.released.json (the compatibility baseline)

Exit codes: 0 in step (or written), 1 something is stale or incompatible (the messages say what to do), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kaltura_discord.commands import docs, manifest
from kaltura_discord.commands.definitions import COMMANDS, CommandDefinition
from kaltura_discord.commands.validator import validate

ROOT = Path(__file__).resolve().parents[1]
DOCS_PAGE = ROOT / "docs" / "commands.md"
MANIFEST = ROOT / "config" / "commands.manifest.json"
RELEASED = ROOT / "config" / "commands.released.json"


def check(commands: Sequence[CommandDefinition], root: Path = ROOT) -> list[str]:
    """Every reason the generated files or the versions are out of step (empty when all is well)."""
    docs_page = root / DOCS_PAGE.relative_to(ROOT)
    problems = [str(problem) for problem in validate(commands)]
    problems += manifest.check_manifest(commands, root / MANIFEST.relative_to(ROOT))
    if not docs_page.is_file() or docs_page.read_text(encoding="utf-8") != docs.render(commands):
        problems.append(f"{docs_page.relative_to(root)} is stale: run {manifest.REGENERATE_HINT}")
    released = root / RELEASED.relative_to(ROOT)
    if released.is_file():
        problems += manifest.compatibility_problems(manifest.load_json(released), commands)
    return problems


def write(commands: Sequence[CommandDefinition], root: Path = ROOT) -> list[Path]:
    changed: list[Path] = []
    docs_page = root / DOCS_PAGE.relative_to(ROOT)
    if not docs_page.is_file() or docs_page.read_text(encoding="utf-8") != docs.render(commands):
        docs_page.write_text(docs.render(commands), encoding="utf-8")
        changed.append(docs_page)
    manifest_path = root / MANIFEST.relative_to(ROOT)
    if manifest.write_json(manifest_path, manifest.build_manifest(commands)):
        changed.append(manifest_path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail when a generated file or a version is out of step")
    mode.add_argument("--write", action="store_true", help="regenerate docs/commands.md and the manifest")
    mode.add_argument("--release", action="store_true", help="record the definitions as the last release")
    args = parser.parse_args(argv)
    problems = [str(problem) for problem in validate(COMMANDS)]
    if args.check:
        problems = check(COMMANDS)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        print("commands: in step" if not problems else f"commands: {len(problems)} problem(s)")
        return 1 if problems else 0
    if problems:
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    if args.release:
        written = manifest.write_json(RELEASED, manifest.build_release_snapshot(COMMANDS))
        print(f"{RELEASED.relative_to(ROOT)} {'written' if written else 'unchanged'}")
        return 0
    changed = write(COMMANDS)
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    if not changed:
        print("commands: generated files already in step")
    return 0


if __name__ == "__main__":
    sys.exit(main())

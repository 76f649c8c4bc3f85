#!/usr/bin/env python3
"""Keep the files generated from the guild-configuration model and defaults in step with them.

    python scripts/generate_config_schema.py           # (re)write config/schema.json, docs/configuration.md and
                                                       # layers/kaltura_discord/data/default_config.json
    python scripts/generate_config_schema.py --check   # exit 1 and name the stale files, write nothing

The defaults live in config/default_config.json; the package carries an identical copy because a Lambda layer
has no config/ directory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "layers") not in sys.path:
    sys.path.insert(0, str(ROOT / "layers"))

from kaltura_discord.config import docs  # noqa: E402 - after the path set-up above
from kaltura_discord.config.errors import ConfigValidationError  # noqa: E402


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = docs.stale_files(root)
            for path in stale:
                print(f"{path} is stale: run {docs.REGENERATE_HINT}", file=sys.stderr)
            return 1 if stale else 0
        for path in docs.write_files(root):
            print(f"wrote {path}")
    except ConfigValidationError as exc:
        print(f"{docs.DEFAULTS_FILE} is invalid: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``kaltura-discord`` command: one entry point for what a person runs by hand.

    kaltura-discord run [--port 8787]           the whole system on this machine (what `make run` starts)
    kaltura-discord send kaltura-help           a signed interaction to the running local stack
    kaltura-discord register --scope global     the slash commands, registered with Discord when they changed
    kaltura-discord check-kaltura               a check of your Kaltura account, before deploying
    kaltura-discord bench                       the performance figures (needs a source checkout)

Each subcommand has its own ``--help``. Everything is imported when its subcommand runs, so ``--help`` is quick.
The files in scripts/ are the same commands for a checkout without the console script. This package is not
shipped in the Lambda layer.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROG = "kaltura-discord"
REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Subcommand:
    summary: str
    run: Callable[[list[str], str], int]


def _call(target: str) -> Callable[[list[str], str], int]:
    """``module:function`` taking (argv, prog) and returning an exit code, imported when the subcommand runs."""
    module_name, _, function = target.partition(":")

    def run(argv: list[str], prog: str) -> int:
        result: int = getattr(importlib.import_module(module_name), function)(argv, prog=prog)
        return result

    return run


def _run_stack(argv: list[str], prog: str) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the whole system on this machine: /interactions, the REST API under /v1, DynamoDB (moto), "
        "a Discord stand-in and, without Kaltura credentials, the Kaltura sandbox. The same as `make run`.",
    )
    parser.add_argument("--port", type=int, help="the local port (default: PORT, else 8787)")
    args = parser.parse_args(argv)
    if args.port is not None:
        os.environ["PORT"] = str(args.port)
    from kaltura_discord.local.stack import main as stack_main

    stack_main()
    return 0


def _send(argv: list[str], prog: str) -> int:
    from kaltura_discord.local.client import main as send_main

    program, sys.argv[0] = sys.argv[0], prog  # its parser names itself after argv[0]
    try:
        return send_main(argv)
    finally:
        sys.argv[0] = program


def _bench(argv: list[str], prog: str) -> int:
    script = REPO / "scripts" / "bench.py"
    if not script.is_file():
        print(f"{prog}: the benchmark needs a source checkout (it measures against tests/support)", file=sys.stderr)
        return 2
    return subprocess.run([sys.executable, str(script), *argv], check=False).returncode  # noqa: S603 - our script


SUBCOMMANDS: dict[str, Subcommand] = {
    "run": Subcommand("run the whole system on this machine (what `make run` starts)", _run_stack),
    "send": Subcommand("send a signed interaction to the running local stack", _send),
    "register": Subcommand(
        "register the slash commands with Discord when they changed", _call("kaltura_discord.cli.register:main")
    ),
    "check-kaltura": Subcommand(
        "check a Kaltura account before deploying", _call("kaltura_discord.cli.check_kaltura:main")
    ),
    "bench": Subcommand("print the performance figures (docs/performance.md)", _bench),
}


def usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [f"usage: {PROG} <command> [options]", "", "Kaltura meetings from Discord slash commands.", "", "commands:"]
    lines += [f"  {name:<{width}}  {command.summary}" for name, command in SUBCOMMANDS.items()]
    lines += ["", f"`{PROG} <command> --help` describes a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"{PROG} {version(PROG)}")
        except PackageNotFoundError:
            print(f"{PROG} (not installed)")
        return 0
    name, rest = args[0], args[1:]
    command = SUBCOMMANDS.get(name)
    if command is None:
        print(f"{PROG}: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return command.run(rest, f"{PROG} {name}")

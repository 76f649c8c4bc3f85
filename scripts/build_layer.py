#!/usr/bin/env python3
"""Build the Lambda layer: the kaltura_discord package plus its pinned runtime dependencies, as wheels for
Lambda's platform (not this machine's), then zip it and print its size.

Used by `make layer` and by `sam build` (BuildMethod: makefile, target build-SharedLayer).
boto3 is left out: the Lambda Python runtime provides it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROVIDED_BY_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath"}
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
LEFT_OUT_OF_PACKAGE = ("local", "__pycache__")


def runtime_requirements() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [dep for dep in project["dependencies"] if dep.split("[")[0].lower() not in PROVIDED_BY_RUNTIME]


def build(output: Path, architecture: str, python_version: str, bytecode_python: str | None = None) -> Path:
    target = output / "python"
    if output.exists():
        shutil.rmtree(output)
    target.mkdir(parents=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target),
        "--platform", PLATFORMS[architecture],
        "--python-version", python_version,
        "--implementation", "cp",
        "--only-binary=:all:",
        "-c", str(REPO / "constraints.txt"),
        *runtime_requirements(),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    shutil.copytree(
        REPO / "layers" / "kaltura_discord",
        target / "kaltura_discord",
        ignore=shutil.ignore_patterns(*LEFT_OUT_OF_PACKAGE),
    )
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    precompile(target, python_version, bytecode_python)
    return target


def _runs_as(interpreter: str, python_version: str) -> bool:
    probe = [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    result = subprocess.run(probe, capture_output=True, text=True, check=False)
    return result.returncode == 0 and result.stdout.strip() == python_version


def precompile(target: Path, python_version: str, interpreter: str | None = None) -> None:
    """Ship bytecode for Lambda's Python: /opt is read-only there, so without it every cold start compiles.

    Bytecode is version-specific, so it is made with that Python when this machine has it (hash-checked, not
    mtime-checked, since zip files reset times); otherwise the layer still works, only colder.
    """
    interpreter = interpreter or shutil.which(f"python{python_version}")
    if interpreter is None or not _runs_as(interpreter, python_version):
        print(f"note: no working python{python_version} here; the layer ships without precompiled bytecode")
        return
    command = [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(target)]
    subprocess.run(command, check=True)
    print(f"precompiled bytecode with {interpreter}")


def zip_dir(source: Path, destination: Path) -> Path:
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source.parent))
    return destination


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=REPO / "build" / "layer")
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument("--python-version", default="3.13")
    parser.add_argument("--bytecode-python", help="the interpreter that matches --python-version (for .pyc files)")
    parser.add_argument("--no-zip", action="store_true", help="leave the directory (what sam build wants)")
    args = parser.parse_args()
    target = build(args.output, args.architecture, args.python_version, args.bytecode_python)
    unzipped = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"layer built in {args.output} ({unzipped / 1e6:.1f} MB unzipped; Lambda allows 250 MB)")
    if not args.no_zip:
        archive = zip_dir(target, args.output.with_suffix(".zip"))
        print(f"layer zip: {archive} ({archive.stat().st_size / 1e6:.1f} MB zipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

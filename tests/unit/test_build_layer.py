"""scripts/build_layer.py: the layer's layout, its wheels' tags, its bytecode, and its refusals. Offline: pip is
replaced by a fake installer, and the "other Python" by small scripts that answer the version probe."""

from __future__ import annotations

import importlib.metadata
import re
import stat
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from kaltura_discord import i18n
from kaltura_discord.local.tables import load_template
from tests.unit.commands.loader import load_script

pytestmark = pytest.mark.unit

build_layer = load_script("build_layer")
REPO = Path(__file__).resolve().parents[2]
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _fake_python(directory: Path, answer: str, name: str = "python3.13") -> str:
    """An executable that answers the version probe the way a Python ``answer`` (``cpython 3.13``) would."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _dist(target: Path, name: str, version: str, tags: list[str]) -> None:
    (target / name).mkdir(parents=True, exist_ok=True)
    (target / name / "__init__.py").write_text("VALUE = 1\n")
    info = target / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\n" + "".join(f"Tag: {tag}\n" for tag in tags))


class FakePip:
    """Stands in for `pip install --target`: records the command and installs made-up distributions."""

    def __init__(self, dists: list[tuple[str, str, list[str]]] | None = None) -> None:
        self.dists = dists if dists is not None else [("fakepkg", "1.0", ["py3-none-any"])]
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str]) -> None:
        self.commands.append(command)
        target = Path(command[command.index("--target") + 1])
        target.mkdir(parents=True, exist_ok=True)
        for name, version, tags in self.dists:
            _dist(target, name, version, tags)
        (target / "bin").mkdir(exist_ok=True)
        (target / "bin" / "fakepkg-cli").write_text("#!/bin/sh\n")


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text("# a comment\nfakepkg==1.0\n")
    return path


# ---- Lambda's platform ----------------------------------------------------------------------------------------


def test_platforms_cover_every_manylinux_up_to_the_runtimes_glibc() -> None:
    platforms = build_layer.lambda_platforms("arm64", "3.13")
    assert platforms[0] == "manylinux2014_aarch64"
    assert "manylinux_2_28_aarch64" in platforms and platforms[-1] == "manylinux_2_34_aarch64"
    assert not any("x86_64" in p or "2_35" in p for p in platforms)
    assert build_layer.lambda_platforms("x86_64", "3.11")[-1] == "manylinux_2_26_x86_64"  # Amazon Linux 2


@pytest.mark.parametrize(
    ("tag", "fits"),
    [
        ("py3-none-any", True),
        ("py2.py3-none-any", True),
        ("cp313-cp313-manylinux_2_17_aarch64", True),
        ("cp313-cp313-manylinux2014_aarch64", True),
        ("cp38-abi3-manylinux_2_28_aarch64", True),
        ("cp313-cp313-manylinux_2_34_aarch64", True),
        ("cp313-cp313-manylinux_2_35_aarch64", False),  # newer glibc than Amazon Linux 2023's
        ("cp313-cp313-manylinux_2_17_x86_64", False),  # the other architecture
        ("cp311-cp311-manylinux_2_17_aarch64", False),  # another Python's extension
        ("cp314-abi3-manylinux_2_17_aarch64", False),  # stable ABI of a newer Python
        ("cp313-cp313-musllinux_1_2_aarch64", False),
        ("cp313-cp313-linux_aarch64", False),
        ("cp313-cp313-macosx_11_0_arm64", False),
        ("nonsense", False),
    ],
)
def test_wheel_tags_that_run_on_lambda_arm64_python_3_13(tag: str, fits: bool) -> None:
    assert build_layer.tag_fits(tag, "arm64", "3.13") is fits


def test_wheels_that_do_not_fit_are_named(tmp_path: Path) -> None:
    _dist(tmp_path, "good", "1", ["cp313-cp313-manylinux_2_17_aarch64", "cp313-cp313-manylinux2014_aarch64"])
    _dist(tmp_path, "wrong", "2", ["cp313-cp313-manylinux_2_17_x86_64"])
    assert build_layer.wheel_problems(tmp_path, "arm64", "3.13") == [
        "wrong-2.dist-info: cp313-cp313-manylinux_2_17_x86_64"
    ]


def test_pip_is_asked_for_lambdas_platform_binaries_only(tmp_path: Path, lock: Path) -> None:
    pip = FakePip()
    build_layer.build(tmp_path / "out", "arm64", HERE, bytecode=False, lock=lock, install=pip)
    (command,) = pip.commands
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--only-binary=:all:" in command and "--no-compile" in command
    assert command[command.index("--python-version") + 1] == HERE
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("-c") + 1] == str(REPO / "constraints.txt")
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms == build_layer.lambda_platforms("arm64", HERE)
    assert command[-1] == "fakepkg==1.0"  # exactly the lock


# ---- the layout -------------------------------------------------------------------------------------------------


def test_the_layer_layout_with_bytecode(tmp_path: Path, lock: Path) -> None:
    target = build_layer.build(
        tmp_path / "out", "arm64", HERE, bytecode_python=sys.executable, lock=lock, install=FakePip()
    )
    assert target == tmp_path / "out" / "python"  # Lambda puts /opt/python on sys.path
    assert (target / "kaltura_discord" / "__init__.py").is_file()
    assert (target / "kaltura_discord" / "bot" / "interactions.py").is_file()
    assert (target / "kaltura_discord" / "data" / "default_config.json").is_file()
    translations = target / "kaltura_discord" / "translations"
    assert sorted(p.relative_to(translations).as_posix() for p in translations.rglob("*") if p.is_file()) == sorted(
        f"{locale.replace('-', '_')}/LC_MESSAGES/messages.mo" for locale in i18n.SHIPPED
    ), "the compiled catalogs ship, their sources (.po, .pot) do not"
    assert not (target / "kaltura_discord" / "local").exists()  # the local stack stays out of Lambda
    assert not (target / "kaltura_discord" / "cli").exists()  # and so does the console script
    assert not (target / "bin").exists()
    assert (target / "fakepkg" / "__init__.py").is_file()
    assert build_layer.missing_bytecode(target, HERE) == []
    tag = sys.implementation.cache_tag
    assert (target / "kaltura_discord" / "__pycache__" / f"settings.{tag}.pyc").is_file()
    caches = {p.name for p in target.rglob("*.pyc")}
    assert all(f".{tag}." in name for name in caches)  # bytecode of that Python only


def test_the_layer_without_bytecode_only_on_purpose(
    tmp_path: Path, lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = build_layer.build(tmp_path / "out", "arm64", HERE, bytecode=False, lock=lock, install=FakePip())
    assert not list(target.rglob("*.pyc"))
    assert "--no-bytecode" in capsys.readouterr().out


def test_a_wheel_for_another_platform_is_refused(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("native==1.0\n")
    pip = FakePip([("native", "1.0", ["cp313-cp313-manylinux_2_17_x86_64"])])
    with pytest.raises(build_layer.BuildError, match=r"do not run on Lambda \(arm64.*native-1\.0\.dist-info"):
        build_layer.build(tmp_path / "out", "arm64", "3.13", bytecode=False, lock=lock, install=pip)


def test_packages_that_differ_from_the_lock_are_refused(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("fakepkg==1.0\nmissing-one==2.0\n")
    with pytest.raises(build_layer.BuildError, match=r"differ from requirements\.lock.*missing-one.*--lock"):
        build_layer.build(tmp_path / "out", "arm64", HERE, bytecode=False, lock=lock, install=FakePip())


def test_write_lock_records_what_pip_resolved(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    pins = build_layer.write_lock(
        "arm64",
        "3.13",
        lock=lock,
        install=FakePip([("Some_Pkg", "1.2", ["py3-none-any"]), ("abc", "3", ["py3-none-any"])]),
    )
    assert pins == {"some-pkg": "1.2", "abc": "3"}
    assert build_layer.read_lock(lock) == pins
    assert lock.read_text().splitlines()[-2:] == ["abc==3", "some-pkg==1.2"]


# ---- the interpreter for the bytecode ---------------------------------------------------------------------------


def test_a_wrong_interpreter_is_refused_before_anything_is_installed(tmp_path: Path, lock: Path) -> None:
    pip = FakePip()
    other = _fake_python(tmp_path / "bin", "cpython 3.11")
    with pytest.raises(build_layer.BuildError, match=r"is Python 3\.11; Lambda's bytecode must come from Python 3\.13"):
        build_layer.build(tmp_path / "out", "arm64", "3.13", bytecode_python=other, lock=lock, install=pip)
    assert pip.commands == []
    broken = _fake_python(tmp_path / "broken", "pyenv: python3.13: command not found")
    with pytest.raises(build_layer.BuildError, match="not a CPython that runs"):
        build_layer.choose_bytecode_python("3.13", broken)
    pypy = _fake_python(tmp_path / "pypy", "pypy 3.13")
    with pytest.raises(build_layer.BuildError):
        build_layer.choose_bytecode_python("3.13", pypy)


def test_no_suitable_python_stops_the_build_with_what_to_do(tmp_path: Path) -> None:
    shim = _fake_python(tmp_path / "shims", "")  # a pyenv shim with no such version: answers nothing
    with pytest.raises(build_layer.BuildError) as refused:
        build_layer.choose_bytecode_python("3.13", candidates=[shim])
    message = str(refused.value)
    assert shim in message and "Install Python 3.13" in message
    assert "--bytecode-python" in message and "--no-bytecode" in message


def test_the_right_python_is_found_on_the_path_or_under_pyenv(tmp_path: Path) -> None:
    on_path = _fake_python(tmp_path / "path", "cpython 3.13")
    assert (
        build_layer.bytecode_candidates("3.13", search_path=str(tmp_path / "path"), pyenv_root=tmp_path / "none")[0]
        == on_path
    )
    older = _fake_python(tmp_path / "pyenv" / "versions" / "3.13.2" / "bin", "cpython 3.13")
    newer = _fake_python(tmp_path / "pyenv" / "versions" / "3.13.10" / "bin", "cpython 3.13")
    _fake_python(tmp_path / "pyenv" / "versions" / "3.12.8" / "bin", "cpython 3.12", name="python3.12")
    found = build_layer.bytecode_candidates("3.13", search_path=str(tmp_path / "empty"), pyenv_root=tmp_path / "pyenv")
    pyenv = [candidate for candidate in found if "pyenv" in candidate]
    assert pyenv == [newer, older]
    assert build_layer.choose_bytecode_python("3.13", candidates=pyenv) == newer


def test_main_reports_a_refusal_in_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _fake_python(tmp_path / "bin", "cpython 3.12")
    assert build_layer.main(["--output", str(tmp_path / "out"), "--bytecode-python", other]) == 2
    assert capsys.readouterr().err.startswith(f"error: --bytecode-python {other} is Python 3.12")
    with pytest.raises(SystemExit):
        build_layer.main(["--no-bytecode", "--bytecode-python", other])


# ---- the lock and the Makefile ----------------------------------------------------------------------------------


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[build_layer.normalize(name)] = version.strip()
    return pins


def test_the_committed_lock_agrees_with_constraints_and_pyproject() -> None:
    pins = build_layer.read_lock()
    constraints = _constraints()
    assert {name: constraints.get(name) for name in pins} == pins, "run `make layer-lock`"
    wanted = {build_layer.normalize(re.split(r"[\[<>=!~; ]", dep)[0]) for dep in build_layer.runtime_requirements()}
    assert wanted <= set(pins), f"pyproject dependencies missing from the lock: {sorted(wanted - set(pins))}"
    assert not build_layer.PROVIDED_BY_RUNTIME & set(pins)  # boto3 and friends come with Lambda


def test_the_committed_lock_holds_every_dependency_lambda_needs() -> None:
    """The closure of pyproject's runtime dependencies, from this environment's metadata, with markers evaluated
    for Lambda (Linux, CPython 3.13): what the layer needs is what the lock says, nothing missing or left over."""
    environment = {
        "python_version": "3.13", "python_full_version": "3.13.0", "sys_platform": "linux", "os_name": "posix",
        "platform_system": "Linux", "platform_machine": "aarch64", "implementation_name": "cpython",
        "platform_python_implementation": "CPython", "extra": "",
    }  # fmt: skip
    needed: set[str] = set()
    todo = [Requirement(dep) for dep in build_layer.runtime_requirements()]
    while todo:
        requirement = todo.pop()
        name = build_layer.normalize(requirement.name)
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        if name in needed:
            continue
        needed.add(name)
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue  # needed only on Lambda's Python, so not installed here: its own needs are not checked
        for raw in requires:
            dependency = Requirement(raw)
            extras_only = dependency.marker is not None and "extra" in str(dependency.marker)
            wanted_extra = any(
                dependency.marker is not None
                and Marker(str(dependency.marker)).evaluate({**environment, "extra": extra})
                for extra in requirement.extras
            )
            if extras_only and not wanted_extra:
                continue
            todo.append(dependency)
    assert needed == set(build_layer.read_lock()), "run `make layer-lock`"


def test_the_makefile_builds_for_the_platform_the_template_declares() -> None:
    makefile = (REPO / "Makefile").read_text()
    settings = dict(re.findall(r"^(LAMBDA_\w+) \?= (\S+)$", makefile, flags=re.MULTILINE))
    function = load_template()["Globals"]["Function"]
    layer = load_template()["Resources"]["SharedLayer"]
    assert (
        function["Architectures"] == [settings["LAMBDA_ARCHITECTURE"]] == layer["Properties"]["CompatibleArchitectures"]
    )
    assert function["Runtime"] == f"python{settings['LAMBDA_PYTHON']}" == layer["Properties"]["CompatibleRuntimes"][0]
    recipe = makefile.split("build-SharedLayer:", 1)[1]
    assert "$(LAYER_BUILD)" in recipe and '--output "$(ARTIFACTS_DIR)"' in recipe
    assert "--architecture $(LAMBDA_ARCHITECTURE) --python-version $(LAMBDA_PYTHON)" in makefile
    assert "$(LAYER_BUILD)" in makefile.split("\nlayer:", 1)[1].split("\n\n", 1)[0]

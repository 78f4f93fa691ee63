"""The distributions as a user gets them: built, metadata valid, the wheel working installed.

Builds the sdist and the wheel with hatchling (the project's build backend), checks the
wheel's metadata and that its long description renders as the package index renders it,
installs the wheel (not editable, no network) into a fresh virtual environment that reuses
this one's dependencies, and runs ``modelslab-local serve`` plus one call through each
adapter from it, in a folder outside the clone, then a user's own pytest suite there that
uses the ``modelslab_script`` fixture. About 15 s, most of it the build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from readme_renderer.markdown import render

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "modelslab_transport",
    "langchain_modelslab",
    "llama_index_modelslab",
    "modelslab_local",
    "modelslab_pytest",
]

CALLS = """
import sys
from langchain_modelslab import ChatModelsLab
from llama_index.core.llms import ChatMessage
from llama_index_modelslab import ModelsLabLLM
import modelslab_transport

assert "site-packages" in modelslab_transport.__file__, modelslab_transport.__file__
base_url = sys.argv[1]
settings = {"api_key": "modelslab-local", "base_url": base_url}
print(ChatModelsLab(**settings).invoke("Count to 3.").text)
reply = ModelsLabLLM(**settings).chat([ChatMessage(role="user", content="Count to 3.")])
print(reply.message.content)
# The fixture's plugin, as pytest finds it: through the wheel's entry point.
from importlib.metadata import entry_points
(plugin,) = [e for e in entry_points(group="pytest11") if e.name == "modelslab"]
print(plugin.value, "site-packages" in plugin.load().__file__)
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out


def test_the_wheel_metadata_is_valid_and_its_description_renders(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(meta_name).decode()
    meta = Metadata.from_email(text, validate=True)
    assert meta.requires_python is not None
    assert str(meta.requires_python) == ">=3.10"
    assert meta.description_content_type == "text/markdown"
    assert render(meta.description or "") is not None  # what the package index shows
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_the_sdist_holds_the_sources(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md"} <= names
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (not editable, no network)."""
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The dependencies come from this environment (a path after the venv's own, so the
    # wheel wins; its .pth files, the editable install among them, are not read), the
    # package itself only from the wheel: no network needed.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    Path(purelib, "_deps_from_the_test_environment.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    return venv


def _user_env() -> dict[str, str]:
    """A user's shell: none of this shell's ModelsLab settings, no source tree on the path."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_") and k != "PYTHONPATH"
    }


def test_the_installed_wheel_serves_and_answers_through_both_adapters(
    venv: Path, tmp_path: Path
) -> None:
    python = venv / "bin" / "python"
    env = _user_env()
    serve = [
        str(venv / "bin" / "modelslab-local"),
        "serve",
        "--port",
        "0",
        "--engine",
        "deterministic",
    ]
    with subprocess.Popen(serve, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()
            base_url = banner.split()[3]
            done = subprocess.run(
                [str(python), "-c", CALLS, base_url],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["1, 2, 3", "1, 2, 3", "modelslab_pytest True"]


USER_TESTS = """
from langchain_modelslab import ChatModelsLab

# Built at import time, for ModelsLab itself, with a key: the fixture must still route it.
MODEL = ChatModelsLab(api_key="sk-user-real-key", base_url="https://modelslab.com/api/v7/llm")


def test_offline(modelslab_script):
    modelslab_script.reply("Hello from the script.")
    assert MODEL.invoke("Hi").content == "Hello from the script."
    assert modelslab_script.requests[0]["messages"] == [{"role": "user", "content": "Hi"}]


def test_a_reply_left_unused(modelslab_script):
    modelslab_script.reply("used")
    modelslab_script.reply("never asked for")
    assert MODEL.invoke("Hi").content == "used"
"""


def test_the_fixture_works_in_a_separate_project(venv: Path, tmp_path: Path) -> None:
    """A user's own suite, outside the clone, finds ``modelslab_script`` through the wheel."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=_user_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 1, done.stdout[-3000:]
    assert summary.startswith("2 passed, 1 error"), done.stdout[-3000:]
    assert "1 scripted reply was never used" in done.stdout
    assert "never asked for" in done.stdout

"""The built wheel works on its own, as the GitHub Action installs it (`pip install ACTION_PATH`).

The tests otherwise run against the editable install, which reads files from the checkout; a file
the package needs at run time but the wheel leaves out only shows here.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# Left out of the copy the wheel is built from: a build there starts clean (setuptools would
# otherwise reuse, and leave, build/ in the checkout).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ".reconciler", "site",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "reconciler"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out),
         str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("reconciler-*.whl")
    return built


def test_the_wheel_carries_every_published_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    published = {
        "reconciler/schemas/" + path.relative_to(ROOT / "schemas").as_posix()
        for path in (ROOT / "schemas").rglob("*")
        if path.is_file()
    }
    assert published, "no published schemas found"
    assert published <= names, sorted(published - names)
    assert "reconciler/py.typed" in names


def test_every_subpackage_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "reconciler").rglob("__init__.py")
    }
    assert packages <= names, sorted(packages - names)


def test_plan_and_apply_run_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    """api-contract.md, The sandbox — `--sandbox` on plan/apply/drift/import: in-process,
    `.reconciler/sandbox.db`."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import reconciler; print(reconciler.__file__)"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout
    def run(*command: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *command, str(ROOT / "examples"), "--sandbox",
             "--sandbox-db", str(tmp_path / "sandbox.db")],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    assert "to create" in run("plan").stdout
    run("apply", "--auto-approve")
    assert "No changes" in run("plan").stdout


def test_the_wheel_says_its_licence_classifiers_and_addresses(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    (metadata_name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
    metadata = email.message_from_bytes(archive.read(metadata_name))
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    licence = next(name for name in archive.namelist() if name.endswith("/licenses/LICENSE"))
    assert archive.read(licence) == (ROOT / "LICENSE").read_bytes()
    assert b"Apache License" in archive.read(licence)
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md") and (ROOT / "CHANGELOG.md").is_file()

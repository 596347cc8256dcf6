"""`drift --write` writes only what drifted: into the drifted object (never an anchor that others
share), only into files inside the configuration directory, keeping line endings, `...` and `~`.

Each case applies a schedule to the sandbox, edits one event there as a colleague would, runs
`drift --write --force` (the files are in no git repository, so git cannot tell which side
moved, and only --force writes them), and reads the file back; `plan` then finds nothing to do,
which it would not if the write had changed another object.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.repo import Repo, Run

TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}

FAIR = """  - key: fair
    title: Spring fair
    start: 2027-04-10T10:00:00Z
    end: 2027-04-10T16:00:00Z
"""
MARKET = """  - key: market
    title: Farmers market
    start: 2027-04-17T08:00:00Z
    end: 2027-04-17T12:00:00Z
"""


def event_id(repo: Repo, key: str) -> str:
    page = repo.sandbox.store.query("prospero.events", where={"customFields.reconciler_key": key})
    return str(page.documents[0]["id"])


def edit_remotely(repo: Repo, http: httpx.Client, key: str, patch: dict[str, object]) -> None:
    answer = http.patch(f"/prospero/events/{event_id(repo, key)}", headers=TOKEN, json=patch)
    assert answer.status_code == 200, answer.text


def adopt(repo: Repo, cli: Run, target: Path | None = None) -> str:
    """`drift --write --force`, then the proof that the YAML now matches the remote: no drift,
    no plan."""
    written = cli("drift", target or repo.root, "--write", "--force", expect=2)
    cli("drift", repo.root, expect=0)
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    return written.stderr


@pytest.mark.parametrize("drifted", ["fair", "market"])
def test_an_aliased_location_is_written_into_the_drifted_object_only(
    repo: Repo, cli: Run, http: httpx.Client, drifted: str
) -> None:
    path = repo.write(
        "events.yaml",
        "version: 1\nevents:\n"
        + FAIR + "    location: &hall {name: Town Hall, address: 1 Main St}\n"
        + MARKET + "    location: *hall\n",
    )
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, drifted, {"location": {"name": "Old Mill", "address": "1 Main St"}})

    said = adopt(repo, cli)
    fair, market = path.read_text(encoding="utf-8").split("key: market")
    edited, kept = (fair, market) if drifted == "fair" else (market, fair)
    assert "location: {name: Old Mill, address: 1 Main St}" in edited
    assert "{name: Town Hall, address: 1 Main St}" in kept  # the other object keeps its value
    assert f"Note: {path}: events.{drifted}.location: was shared through " in said
    assert "the anchor and the objects that share it are unchanged" in said


def test_a_location_from_a_merge_key_is_written_into_the_object_not_its_source(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    path = repo.write(
        "events.yaml",
        "version: 1\nevents:\n"
        + FAIR.replace("  - key: fair", "  - &fair\n    key: fair")
        + "    location: {name: Town Hall, address: 1 Main St}\n"
        + MARKET.replace("  - key: market", "  - <<: *fair\n    key: market"),
    )
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "market", {"location": {"name": "Old Mill"}})

    said = adopt(repo, cli)
    text = path.read_text(encoding="utf-8")
    fair, market = text.split("key: market")
    assert "location: {name: Town Hall, address: 1 Main St}" in fair
    assert "location: {name: Old Mill, address: 1 Main St}" in market
    assert "events.market.location: was shared through a merge key (<<)" in said


def test_a_title_from_a_merge_key_is_overridden_in_the_object(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    path = repo.write(
        "events.yaml",
        "version: 1\nevents:\n"
        + FAIR.replace("  - key: fair", "  - &fair\n    key: fair")
        + MARKET.replace("  - key: market", "  - <<: *fair\n    key: market")
        .replace("    title: Farmers market\n", ""),
    )
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "market", {"title": "Farmers market"})

    adopt(repo, cli)
    fair, market = path.read_text(encoding="utf-8").split("key: market")
    assert "title: Spring fair" in fair
    assert "title: Farmers market" in market


def test_a_symbolic_link_out_of_the_configuration_directory_is_left_alone(
    repo: Repo, cli: Run, http: httpx.Client, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "events.yaml"
    outside.parent.mkdir()
    providers = (repo.root / "providers.yaml").read_text(encoding="utf-8")
    original = providers + "events:\n" + FAIR
    outside.write_text(original, encoding="utf-8")
    link = repo.root / "linked.yaml"
    link.symlink_to(outside)
    (repo.root / "providers.yaml").unlink()
    cli("apply", link, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    said = cli("drift", link, "--write", "--force", expect=2).stderr
    assert outside.read_text(encoding="utf-8") == original
    assert link.is_symlink()
    assert (f"Not written: {link} is a symbolic link to a file outside the configuration "
            "directory; edit it by hand") in said


def test_a_symbolic_link_inside_the_configuration_directory_is_written_through(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    real = repo.write(".shared/events.yaml", "version: 1\nevents:\n" + FAIR)  # hidden: not read
    link = repo.root / "events.yaml"
    link.symlink_to(real)
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    adopt(repo, cli)
    assert link.is_symlink()
    assert "title: Autumn fair" in real.read_text(encoding="utf-8")


def test_crlf_line_endings_are_kept(repo: Repo, cli: Run, http: httpx.Client) -> None:
    path = repo.root / "events.yaml"
    path.write_bytes(("version: 1\nevents:\n" + FAIR).replace("\n", "\r\n").encode())
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    adopt(repo, cli)
    raw = path.read_bytes()
    assert b"title: Autumn fair\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_the_document_markers_and_their_comments_are_kept(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    path = repo.write(
        "events.yaml",
        "# the spring season\n---\nversion: 1\nevents:\n" + FAIR + "...\n# end of season\n",
    )
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    adopt(repo, cli)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# the spring season\n---\nversion: 1\n")
    assert text.endswith("    end: 2027-04-10T16:00:00Z\n...\n# end of season\n")
    assert "title: Autumn fair" in text


def test_tilde_nulls_stay_tildes(repo: Repo, cli: Run, http: httpx.Client) -> None:
    path = repo.write(
        "events.yaml", "version: 1\nevents:\n" + FAIR + "    details: ~\n    capacity: 300\n"
    )
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    adopt(repo, cli)
    text = path.read_text(encoding="utf-8")
    assert "    details: ~\n" in text
    assert "title: Autumn fair" in text


def test_a_byte_order_mark_is_kept(repo: Repo, cli: Run, http: httpx.Client) -> None:
    path = repo.root / "events.yaml"
    path.write_bytes(("\ufeffversion: 1\nevents:\n" + FAIR).encode())
    cli("apply", repo.root, "--auto-approve")
    edit_remotely(repo, http, "fair", {"title": "Autumn fair"})

    adopt(repo, cli)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfversion: 1\n")
    assert raw.count(b"\xef\xbb\xbf") == 1

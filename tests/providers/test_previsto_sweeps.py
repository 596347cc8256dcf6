"""A Previsto provider that refreshes again and again (`reconciler watch` sweeps with one) lists
the scope's protected mark only while it matters: one filtered list per sweep, not two."""

from __future__ import annotations

from reconciler.config import load
from reconciler.model import DesiredObject
from reconciler.providers import build_providers
from reconciler.providers.previsto import PrevistoProvider
from tests.fixtures.faults import assignment
from tests.fixtures.repo import Repo, Run

CLEAN = assignment("clean", "asgmt-klJ23j4L23j43", "north")
OTHER = assignment("other", "asgmt-Zp3Kw9Hs2Yb6D", "south")


def scope_lists_per_refresh(repo: Repo, refreshes: int) -> list[list[str]]:
    """The scope-mark filters each refresh of one provider asked for."""
    state = load(repo.root)
    providers = build_providers(state)
    provider = providers["previsto"]
    assert isinstance(provider, PrevistoProvider)
    asked: list[list[str]] = []
    try:
        for _ in range(refreshes):
            repo.forget_requests()
            desired: list[DesiredObject] = [
                provider.canonical(declared) for declared in state.objects["assignments"]
            ]
            provider.refresh(desired)
            # Answered lists only: the first also learns the page size (a refused size=1000).
            asked.append(sorted(
                r.query.split("meta.reconciler_scope=")[1].split("&")[0]
                for r in repo.requests()
                if r.path == "/previsto/assignments" and r.status == 200
                and "meta.reconciler_scope=" in r.query
            ))
    finally:
        for built in providers.values():
            built.client.close()
    return asked


def test_a_scope_that_protects_nothing_is_swept_with_one_list(repo: Repo, cli: Run) -> None:
    repo.write("a.yaml", "version: 1\nassignments:\n" + CLEAN + OTHER)
    cli("apply", repo.root, "--auto-approve")
    first, second, third = scope_lists_per_refresh(repo, 3)
    assert len(first) == 2  # the first refresh cannot know: plain and protected
    assert len(second) == len(third) == 1  # found none protected: the plain mark alone


def test_a_scope_that_protects_something_lists_both_marks_every_time(
    repo: Repo, cli: Run
) -> None:
    repo.write("a.yaml", "version: 1\nassignments:\n" + CLEAN + "    protect: true\n" + OTHER)
    cli("apply", repo.root, "--auto-approve")
    assert [len(marks) for marks in scope_lists_per_refresh(repo, 3)] == [2, 2, 2]


def test_a_protected_assignment_whose_entry_is_gone_is_still_listed(
    repo: Repo, cli: Run
) -> None:
    """Protection outlives the YAML entry: the refreshes go on finding the protected one."""
    repo.write("a.yaml", "version: 1\nassignments:\n" + CLEAN + "    protect: true\n" + OTHER)
    cli("apply", repo.root, "--auto-approve")
    repo.write("a.yaml", "version: 1\nassignments:\n" + OTHER)
    assert [len(marks) for marks in scope_lists_per_refresh(repo, 3)] == [2, 2, 2]

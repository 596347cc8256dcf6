"""The documentation site: the README as its front door, CI running the README's test command,
and the references generated from the code covering all of it.

The site's own build (`mkdocs build --strict`, broken links included) is a step of that test
command; these tests check what the build cannot: that the generators leave nothing out.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def references() -> ModuleType:
    """The MkDocs hook that generates the references, loaded as the build loads it: by path."""
    spec = importlib.util.spec_from_file_location("references", DOCS / "hooks" / "references.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", markdown, flags=re.S)


def test_ci_runs_the_readme_test_command_exactly_and_it_builds_the_site_strictly():
    demo, tests = shell_blocks(README.read_text(encoding="utf-8"))[:2]
    assert demo.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert ci == tests
    assert " && .venv/bin/mkdocs build --strict && .venv/bin/pytest " in tests
    started = shell_blocks((DOCS / "getting-started.md").read_text(encoding="utf-8"))
    assert demo in started and tests in started


def test_the_readme_is_a_front_door_whose_links_into_the_docs_resolve():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    local = [target for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
             if "://" not in target]
    assert any(target.startswith("docs/") for target in local)
    assert [target for target in local if not (ROOT / target).exists()] == []


def nav_pages(entries: Any) -> Iterator[str]:
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            yield from nav_pages(value)
        else:
            yield value


def test_every_written_page_is_in_the_nav_and_the_generated_ones_are_not_committed():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = set(nav_pages(config["nav"]))
    written = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    generated = {"reference/cli.md", "reference/configuration.md"}
    assert written | generated == listed
    assert not written & generated


def options_of(command: click.Command) -> set[str]:
    return {name for parameter in command.params if isinstance(parameter, click.Option)
            and not parameter.hidden for name in parameter.opts}


def test_the_cli_reference_shows_every_command_option_and_example(references: ModuleType):
    page = references.cli_reference()
    root = click.Context(main, info_name="reconciler")
    visible = [name for name in main.list_commands(root)
               if not main.get_command(root, name).hidden]
    assert {"plan", "apply", "drift", "validate", "doctor", "import", "sandbox"} <= set(visible)
    assert "## reconciler github" not in page
    sections = page.split("\n## reconciler ")
    for name in visible:
        (section,) = [part for part in sections if part.startswith(f"{name}\n")]
        missing = {option for option in options_of(main.get_command(root, name))
                   if option not in section}
        assert missing == set(), name
        # An example may set the environment first (`NAME=$(...) reconciler watch ...`).
        environment = r"(?:\w+=(?:\$\([^)]*\)|\S+) )*"
        assert re.search(rf"Examples:\n\s+{environment}reconciler {name}", section), name
    assert options_of(main) <= set(re.findall(r"--?[\w-]+", sections[0]))


def schema_fields(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for name, value in schema.get("properties", {}).items():
            yield name
            yield from schema_fields(value)
        for key, value in schema.items():
            if key != "properties":
                yield from schema_fields(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from schema_fields(value)


def test_the_yaml_reference_names_every_field_the_schema_defines(references: ModuleType):
    schema = yaml.safe_load(references.SCHEMA.read_text(encoding="utf-8"))
    page = references.configuration_reference(schema)
    fields = set(schema_fields(schema))
    assert {"stack", "rrule", "previous_keys", "max_change_percent", "timezones"} <= fields
    assert {name for name in fields if f"**`{name}`**" not in page} == set()
    assert page.startswith("# YAML reference\n")


def message_texts() -> str:
    """Every string the client side can say, an f-string's values as NUL (no text matches one)."""
    texts = []
    for path in (ROOT / "reconciler").rglob("*.py"):
        if "sandbox" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                texts.append("".join(part.value if isinstance(part, ast.Constant) else "\0"
                                     for part in node.values))
    return "\n".join(texts)


# Where a documented message has a part the code fills in or composes: placeholders (`<...>`,
# `…`), numbers, quoted names, addresses and environment variables, and the joints (`: `, `; `,
# `, `, parentheses) at which the code puts one message together from several.
VARIABLE_PARTS = (r"<[^>]+>|…|\.\.\.|\d[\d.,]*|\"[^\"]*\"|'[^']*'|RECONCILER_[A-Z_]+"
                  r"|\b[a-z]+\.[a-z-]+\b|: |; |, | \(|\) ")


def test_every_message_troubleshooting_quotes_is_one_the_code_says():
    """Each fixed stretch of 20 characters or more of a message the troubleshooting page lists
    is in the code's strings, so a reworded error cannot leave its entry behind."""
    page = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    said = message_texts()
    quoted = [message for row in page.splitlines() if row.startswith("| `")
              for message in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
    stretches = [stretch.strip() for message in quoted
                 for stretch in re.split(VARIABLE_PARTS, message)]
    checked = [stretch for stretch in stretches if len(stretch) >= 20]
    assert len(quoted) >= 30 and len(checked) >= 40
    assert [stretch for stretch in checked if stretch not in said] == []


def whole_configurations() -> list[tuple[str, str]]:
    """Every YAML example in the README and the docs that is a whole file (`version: 1` first)."""
    pages = [README, *sorted(DOCS.rglob("*.md"))]
    return [(page.relative_to(ROOT).as_posix(), block) for page in pages
            for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
            if block.startswith("version: 1\n")]


@pytest.mark.parametrize(("page", "example"), whole_configurations())
def test_every_whole_configuration_the_docs_show_is_valid(
    page: str, example: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for name in re.findall(r"\$\{(\w+)\}", example):
        monkeypatch.setenv(name, "set-by-the-test")
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    assert cli("validate", tmp_path / "example.yaml").stdout.startswith("Valid: ")

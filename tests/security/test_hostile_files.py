"""Hostile configuration files from a pull request: whatever is named *.yaml, the run ends with
one line per problem and exit 1, without hanging or growing without bound.

Runs that could hang or exhaust memory on a regression go through a subprocess with a timeout
and an address-space limit: a regression fails the test instead of stalling CI.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import discovery, load
from reconciler.errors import ConfigError
from tests.fixtures.hostile import flawed_objects

GOOD_EVENT = "events:\n  - {key: gala, title: Gala, start: '2026-12-12T18:00:00Z'}\n"
HANG_GUARD_SECONDS = 60  # not a speed assertion: only what a hang or a runaway read meets


def _limit_memory() -> None:
    gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (2 * gib, 2 * gib))


def validate_in_subprocess(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        env={**os.environ, **env},
        preexec_fn=_limit_memory,
        check=False,
    )


def issue_lines(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, resolve_providers=False)
    return [str(issue) for issue in caught.value.issues]


def test_symlink_to_dev_zero_in_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(GOOD_EVENT)
    (tmp_path / "x.yaml").symlink_to("/dev/zero")
    result = validate_in_subprocess(tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"{tmp_path / 'x.yaml'}:1:1: a symbolic link to a file outside" in result.stderr
    assert "internal error" not in result.stderr


def test_symlink_out_of_the_folder_is_refused_and_one_inside_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD_EVENT)
    folder = tmp_path / "config"
    (folder / ".shared").mkdir(parents=True)  # hidden: read only through the link
    (folder / ".shared" / "events.yml").write_text(GOOD_EVENT.replace("gala", "inner"))
    (folder / "inside.yaml").symlink_to(folder / ".shared" / "events.yml")
    (folder / "escape.yaml").symlink_to(outside)
    lines = issue_lines(folder)
    assert lines == [
        f"{folder / 'escape.yaml'}:1:1: a symbolic link to a file outside the configuration "
        "directory is not followed; copy the file in, or pass its path explicitly"
    ]
    (folder / "escape.yaml").unlink()
    state = load(folder, resolve_providers=False)
    assert state.files == (str(folder / "inside.yaml"),)
    assert [obj.key for obj in state.objects["events"]] == ["inner"]


def test_a_symlink_named_explicitly_is_read_wherever_it_points(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "schedule.yaml"
    target.parent.mkdir()
    target.write_text(GOOD_EVENT)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    state = load(link, resolve_providers=False)
    assert [obj.key for obj in state.objects["events"]] == ["gala"]


def test_a_fifo_named_yaml_is_refused_without_opening_it(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(GOOD_EVENT)
    os.mkfifo(tmp_path / "x.yaml")
    result = validate_in_subprocess(tmp_path)
    assert result.returncode == 1, result.stderr
    assert (
        f"{tmp_path / 'x.yaml'}:1:1: not read: a FIFO (named pipe), not a regular file"
        in result.stderr.splitlines()
    )
    explicit = validate_in_subprocess(tmp_path / "x.yaml")
    assert explicit.returncode == 1
    assert "not read: a FIFO (named pipe)" in explicit.stderr


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(GOOD_EVENT + "# padding\n" * 300)
    result = CliRunner().invoke(
        main, ["validate", "--sandbox", str(big)], env={"RECONCILER_MAX_CONFIG_MB": "0.001"}
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{big}:1:1: larger than the 0.001 MB a configuration file may hold; "
        "set RECONCILER_MAX_CONFIG_MB to raise the limit"
    )
    assert CliRunner().invoke(main, ["validate", "--sandbox", str(big)]).exit_code == 0


def test_files_over_the_total_limit_are_refused(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(GOOD_EVENT.replace("gala", name))
    size = len(GOOD_EVENT) + 2
    limits = discovery.ReadLimits(file_bytes=size, total_bytes=2 * size)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, resolve_providers=False, limits=limits)
    [issue] = caught.value.issues
    assert str(issue).startswith(f"{tmp_path / 'c.yaml'}:1:1: not read: the configuration's")


def test_a_bad_limit_setting_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_EVENT)
    result = CliRunner().invoke(
        main, ["validate", str(tmp_path)], env={"RECONCILER_MAX_CONFIG_MB": "lots"}
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: RECONCILER_MAX_CONFIG_MB must be a positive number of megabytes, not 'lots'"
    )


def test_an_infinite_limit_setting_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_EVENT)
    result = CliRunner().invoke(
        main, ["validate", str(tmp_path)], env={"RECONCILER_MAX_CONFIG_MB": "1e309"}
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: RECONCILER_MAX_CONFIG_MB must be a positive number of megabytes, not '1e309'"
    )


@pytest.mark.parametrize("written", ["0x" + "f" * 5000, "0x" + "f" * 17, "1:" * 5000 + "1"],
                         ids=["5000-hex-digits", "65-bits", "base-60"])
def test_a_tagged_integer_beyond_64_bits_is_one_issue_with_its_place(
    tmp_path: Path, written: str
) -> None:
    # Where the fast reader cannot go (a tag): PyYAML builds any integer, which no field takes
    # and which Python will not print past 4,300 digits.
    file = tmp_path / "events.yaml"
    file.write_text("events:\n  - key: gala\n    title: Gala\n    start: '2026-12-12T18:00:00Z'\n"
                    f"    capacity: !!int {written}\n")
    result = CliRunner().invoke(main, ["plan", "--sandbox", str(file)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{file}:5:15: events[0].capacity: an integer beyond 64 bits (no field takes one); "
        "write a smaller number",
        "Error: the configuration has 1 problem",
    ]


def test_a_plan_file_nested_200000_deep_is_refused_before_anything_is_read(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "plan.json"
    deep.write_text('{"changes": ' + "[" * 200_000 + "]" * 200_000 + "}")
    result = CliRunner().invoke(main, ["apply", "--sandbox", str(deep)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {deep}: not a reconciler plan (nested deeper than 200 levels); make it again "
        "with `reconciler plan PATH -o FILE`"
    )


def test_100000_levels_of_flow_nesting_are_one_issue_with_its_place(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("events: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert issue_lines(deep) == [f"{deep}:1:1008: invalid YAML: nested deeper than 100 levels"]


def test_nesting_past_the_limit_but_within_libyaml_is_located_too(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("events: " + "[" * 150 + "]" * 150 + "\n")
    [line] = issue_lines(deep)
    assert line.startswith(f"{deep}:1:")
    assert "nested deeper than 100 levels" in line


def test_20000_unknown_keys_list_the_first_100_and_count_the_rest(tmp_path: Path) -> None:
    lines = ["events:", "  - key: a", "    title: A", "    start: '2026-12-12T18:00:00Z'"]
    lines += [f"    k{index}: x" for index in range(20_000)]
    file = tmp_path / "many.yaml"
    file.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["validate", "--sandbox", str(file)])
    assert result.exit_code == 1
    output = result.stderr.splitlines()
    assert len(output) == 102
    assert output[0] == f'{file}:5:5: events[0].k0: unknown field "k0"'
    assert output[100] == (
        f"{file}:105:5: and 19,900 more problems in this file (only the first 100 are listed)"
    )
    assert output[101] == "Error: the configuration has 20000 problems"


def test_2000_objects_with_an_unknown_field_each_are_each_reported_in_order(
    tmp_path: Path,
) -> None:
    file = tmp_path / "flawed.yaml"
    file.write_bytes(flawed_objects(2_000))
    result = CliRunner().invoke(main, ["validate", "--sandbox", str(file)])
    assert result.exit_code == 1
    # Each event takes four lines after the two of the header; its unknown field is the fourth.
    expected = [
        f'{file}:{6 + 4 * index}:5: events[{index}].unknown_field: unknown field "unknown_field"'
        ' (did you mean "custom_fields"?)'
        for index in range(100)
    ]
    expected.append(
        f"{file}:406:5: and 1,900 more problems in this file (only the first 100 are listed)"
    )
    expected.append("Error: the configuration has 2000 problems")
    assert result.stderr.splitlines() == expected


@pytest.mark.parametrize("name", ["x.YAML", "x.Yml", "x.yAmL"])
def test_config_files_are_found_whatever_the_case_of_the_suffix(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / name).write_text(GOOD_EVENT)
    state = load(tmp_path, resolve_providers=False)
    assert state.files == (str(tmp_path / name),)


def test_a_symlink_to_dev_urandom_named_explicitly_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "x.yaml"
    link.symlink_to("/dev/urandom")
    result = validate_in_subprocess(link)
    assert result.returncode == 1
    assert "not read: a device, not a regular file" in result.stderr

"""An API that does not answer is named at the default log level while it is being retried, once,
rather than leaving the user with seconds of silence."""

from __future__ import annotations

import re

import pytest

from reconciler.sandbox.server import free_port
from tests.fixtures.repo import Repo, Run


@pytest.mark.parametrize("verbose", [False, True])
def test_retrying_an_unreachable_api_is_said_once(repo: Repo, cli: Run, verbose: bool):
    closed = free_port()  # nothing listens there: every connection is refused
    repo.write("providers.yaml", f"""version: 1
providers:
  previsto:
    base_url: http://127.0.0.1:{closed}/previsto
    api_key: ${{PREVISTO_API_KEY}}
""")
    repo.write("a.yaml", "version: 1\nassignments:\n  - key: jan\n"
               "    select: {id: asgmt-klJ23j4L23j43}\n    metadata: {crew: north}\n")
    args = ["-v"] if verbose else []
    result = cli(*args, "--max-retries", "3", "--retry-wait", "0", "plan", repo.root, expect=1)
    lines = result.stderr.splitlines()
    said = [line for line in lines if line.startswith("WARNING ") and "retrying" in line]
    assert len(said) == 1
    assert re.fullmatch(
        r"WARNING reconciler\.transport: previsto: retrying GET /previsto/assignments after "
        r"ConnectError in \d+\.\d s \(attempt 2\); -v logs each further retry", said[0]
    ), said
    each = [line for line in lines if line.startswith("INFO ") and "retrying" in line]
    assert len(each) == (2 if verbose else 0)
    assert lines[-1].startswith("Error: previsto")

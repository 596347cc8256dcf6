"""`python -m benchmarks`: the benchmark runner (see `benchmarks/run.py`)."""

from __future__ import annotations

from benchmarks.run import main

main()

"""`python -m reconciler.cli` runs the command line."""

from reconciler.cli import main

main()

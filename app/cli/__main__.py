"""`python -m app.cli`: the same as the `quillcast` command."""

from app.cli import main

main()

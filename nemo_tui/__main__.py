"""`python -m nemo_tui`: the same as the `nemo-tui` command."""

from nemo_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Usage mistakes a script can make: each is exit 2 with one sentence that says what to run."""

from __future__ import annotations

import pytest

from nemo_tui.cli import main


def usage_error(capsys, *args: str) -> str:
    """Run `nemo-tui ARGS` in-process; it must fail with exit 2 and nothing on stdout."""
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (code, out, err)
    assert err.startswith("nemo-tui: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(("args", "hint"), [
    (("ask",), "nemo-tui ask --help"),
    (("export", "--version", "x"), "nemo-tui export --help"),
    (("export", "--job", "a", "--version", "1"), "nemo-tui export --help"),
    (("preview",), "nemo-tui preview --help"),
    (("batch", "x.toml", "--parallel", "many"), "nemo-tui batch --help"),
    (("frobnicate",), "nemo-tui --help"),
])
def test_a_usage_error_points_at_the_help_of_the_command_at_fault(capsys, args, hint):
    assert f"Run `{hint}` for usage." in usage_error(capsys, *args)


@pytest.mark.parametrize("args", [("--json",), ("--json", "--new-session"), ("--local", "--json")])
def test_json_without_a_command_is_a_usage_error_not_the_studio(capsys, args):
    err = usage_error(capsys, *args)
    assert "--json goes with a command" in err and "nemo-tui --help" in err


@pytest.mark.parametrize("link", ["ftp://example.com/clip.mp4", "file:///tmp/clip.mp4",
                                  "s3://bucket/clip.mp4"])
def test_upload_of_another_kind_of_link_says_so(capsys, link):
    """Not "File not found: clip.mp4" (it was taken for a path): which links work, exit 2."""
    err = usage_error(capsys, "upload", link)
    assert "Only http:// and https:// URLs can be uploaded" in err, err

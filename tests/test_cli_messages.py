"""CLI messages and refusals, run as a subprocess against the local backend over loopback."""

from __future__ import annotations

import pytest
from test_cli import assert_clean_error, run


@pytest.mark.parametrize("text", ["", "   ", " \t\n "])
def test_ask_with_an_empty_message_exits_2_and_sends_nothing(local_backend, text):
    """`ask ""` (or only whitespace) is bad usage: exit 2, and the backend sees no request."""
    proc = run("ask", text, env={"NEMO_API_URL": local_backend.url})
    err = assert_clean_error(proc, 2)
    assert "empty" in err and proc.stdout == ""
    assert local_backend.requests() == []

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


@pytest.mark.parametrize(("line", "words"), [
    ('poll_interval = "fast"', "poll_interval must be a number."),
    ("local_port = 8.5", "local_port must be a whole number."),
    ("token_streaming = 1", "token_streaming must be true or false."),
    ("theme = 3", "theme must be a text in quotes."),
])
def test_config_type_error_reads_as_english(isolated_dirs, line, words):
    """A wrongly typed config key names what it must be in words, not Python type names."""
    cfg = isolated_dirs / "config" / "nemo-tui" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(line + "\n")
    err = assert_clean_error(run("jobs"), 2)
    assert words in err and str(cfg) in err
    assert " a int" not in err and "float" not in err


def test_jobs_with_a_damaged_list_says_so_once(isolated_dirs):
    """A corrupt jobs file: the 'was damaged' sentence once on stderr, the list starts empty."""
    jobs = isolated_dirs / "state" / "nemo-tui" / "jobs.json"
    jobs.parent.mkdir(parents=True)
    jobs.write_text("{not json")
    proc = run("jobs")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("was damaged") == 1, proc.stderr
    assert "No render jobs" in proc.stdout
    assert (jobs.parent / "jobs.json.corrupt").read_text() == "{not json"


@pytest.mark.parametrize("args", [("jobs",), ("ask", "make a video"), ("credits",)])
def test_unwritable_state_dir_names_the_folder_and_the_fix(local_backend, unwritable_dir,
                                                           args):
    """The state folder cannot be written: one sentence naming it and what to change, exit 1,
    and nothing is sent to the backend."""
    proc = run(*args, env={"NEMO_API_URL": local_backend.url,
                           "XDG_STATE_HOME": str(unwritable_dir)})
    err = assert_clean_error(proc, 1)
    assert f"state folder {unwritable_dir / 'nemo-tui'} " in err
    assert "XDG_STATE_HOME" in err and "restarting alone does not help" in err
    assert local_backend.requests() == []


@pytest.mark.parametrize(("after", "words"), [(1, "Try again in 1 second."),
                                              (2, "Try again in 2 seconds.")])
def test_rate_limit_says_when_to_try_again_in_english(local_backend, after, words):
    """A 429 that outlasts the client's one retry: the wait, singular or plural (it read
    "in 1 seconds")."""
    local_backend.add_faults([{"endpoint": "credits", "http": 429, "retry_after": after,
                               "times": 2}])
    err = assert_clean_error(run("credits", env={"NEMO_API_URL": local_backend.url}), 1)
    assert err.endswith(words), err


def test_ask_translates_the_agent_s_gui_wording_into_the_command(make_local_backend):
    """The agent writes for a web page ("点击导出按钮" = click the Export button): the CLI says
    which command does that, on stderr; the agent's words stay as they were on stdout, and
    --json output carries no hint."""
    local_backend = make_local_backend(server_options={"free_credits": 1000})
    env = {"NEMO_API_URL": local_backend.url}
    proc = run("ask", "生成一个3秒的下雨视频", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "点击导出按钮" in proc.stdout and "nemo-tui export" not in proc.stdout
    hints = [line for line in proc.stderr.splitlines() if "nemo-tui export --wait" in line]
    expected = ("No button here: `nemo-tui export --wait` renders the video and "
                "downloads it.")
    assert hints == [expected], proc.stderr
    local_backend.add_faults([{"endpoint": "run_sse", "stream": "no_text"}])
    proc = run("--json", "ask", "把时长改为4秒", env=env)
    assert proc.returncode == 0 and "nemo-tui" not in proc.stdout + proc.stderr, proc.stderr

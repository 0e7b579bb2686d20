"""`nemo-tui jobs`, in-process against the local backend over loopback: which batch and item
each render belongs to (the studio groups jobs by batch), its version and its failure text."""

from __future__ import annotations

import json

import pytest

from nemo_tui.cli import main


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Downloads default to the cwd: keep them in the test's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEMO_POLL_INTERVAL", "0.05")


@pytest.fixture
def backend(make_local_backend):
    """A backend with credits for several generations and no simulated waits."""
    return make_local_backend(server_options={"free_credits": 10_000, "wait_scale": 0.0})


def cli(capsys, url: str, *args: str) -> tuple[int, str, str]:
    """Run `nemo-tui --api-url URL ARGS` in-process; (exit code, stdout, stderr)."""
    code = main(["--api-url", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.timeout(120)
def test_jobs_json_names_the_batch_and_item_of_each_job(backend, tmp_path, capsys):
    batch = tmp_path / "videos.toml"
    batch.write_text('[[item]]\nname = "rain teaser"\nprompt = "make a 2 second video about rain"\n')
    code, _, err = cli(capsys, backend.url, "--json", "batch", str(batch))
    assert code == 0, err
    code, _, err = cli(capsys, backend.url, "ask", "make a 2 second video about snow")
    assert code == 0, err
    code, out, err = cli(capsys, backend.url, "--json", "export", "--wait")
    assert code == 0, err
    exported = json.loads(out)["id"]

    code, out, err = cli(capsys, backend.url, "jobs", "--json")
    assert code == 0, err
    jobs = {j["id"]: j for j in json.loads(out)["jobs"]}
    assert len(jobs) == 2
    (from_batch,) = [j for j in jobs.values() if j["id"] != exported]
    assert from_batch["batch"] == str(batch.resolve()) and from_batch["item"] == "rain teaser"
    assert from_batch["status"] == "completed" and from_batch["path"].endswith("rain teaser.mp4")
    alone = jobs[exported]
    assert alone["batch"] is None and alone["item"] is None  # not part of a batch
    assert alone["version"] == 1 and alone["error"] is None
    for job in jobs.values():  # CLI.md's keys are all still there
        assert {"id", "status", "progress", "url", "path", "api_url", "session_id",
                "created_at"} <= set(job)

    code, out, _ = cli(capsys, backend.url, "jobs")  # the table names the item too
    row = next(line for line in out.splitlines() if line.startswith(from_batch["id"]))
    assert "rain teaser" in row


@pytest.mark.timeout(60)
def test_jobs_json_carries_a_failed_render_s_reason(backend, capsys):
    code, _, err = cli(capsys, backend.url, "ask", "make a 2 second video about snow")
    assert code == 0, err
    backend.add_faults([{"endpoint": "render_poll", "status": "failed",
                         "error": "the renderer ran out of disk", "times": -1}])
    code, out, err = cli(capsys, backend.url, "--json", "export", "--wait")
    assert code == 1 and json.loads(out)["status"] == "failed"
    code, out, _ = cli(capsys, backend.url, "--json", "jobs")
    (job,) = json.loads(out)["jobs"]
    assert job["status"] == "failed" and "ran out of disk" in job["error"]

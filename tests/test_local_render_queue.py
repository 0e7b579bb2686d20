"""The local backend renders several sessions at once, up to its `max_concurrent` workers."""

from __future__ import annotations

import pytest
from test_local_server import Api, GatedRenders, start_render, wait_status

from nemo_tui.config import load_settings
from nemo_tui.local.renders import default_concurrency
from nemo_tui.local_launch import render_options


@pytest.mark.parametrize("workers", [1, 2])
def test_sessions_render_side_by_side_up_to_the_workers(make_local_backend, workers):
    renders = GatedRenders()
    be = make_local_backend(render_options={"render_fn": renders, "max_concurrent": workers})
    first = Api(be)
    second = Api(be)  # another user, another session
    third = Api(be)
    for api, rid in ((first, "render_1"), (second, "render_2"), (third, "render_3")):
        assert start_render(api, rid).status_code == 200
    wait_status(first, "render_1", "processing")
    if workers == 2:
        wait_status(second, "render_2", "processing")  # at the same time as the first
    status = {rid: api.get(f"/api/render/proxy/lambda/{rid}").json()["data"]["status"]
              for api, rid in ((second, "render_2"), (third, "render_3"))}
    assert status == ({"render_2": "pending", "render_3": "pending"} if workers == 1 else
                      {"render_2": "processing", "render_3": "pending"})
    renders.open("render_1")
    wait_status(third, "render_3", "processing" if workers == 2 else "pending")
    for rid in ("render_2", "render_3"):
        renders.open(rid)
    wait_status(third, "render_3", "completed")


def test_render_workers_setting(isolated_dirs, monkeypatch):
    assert default_concurrency() >= 1
    assert render_options(load_settings({})) == {}  # one per core
    monkeypatch.setenv("NEMO_LOCAL_RENDER_WORKERS", "3")
    assert render_options(load_settings({})) == {"max_concurrent": 3}
    cfg = isolated_dirs / "config" / "nemo-tui" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("local_render_workers = 2\n")
    monkeypatch.delenv("NEMO_LOCAL_RENDER_WORKERS")
    assert render_options(load_settings({})) == {"max_concurrent": 2}

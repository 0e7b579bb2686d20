"""Fault injection of the local backend: canned errors, broken SSE streams, render/file faults."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from test_local_server import (  # noqa: F401 - close_clients is an autouse fixture
    RAW,
    Api,
    GatedRenders,
    close_clients,
    events,
    quick_turn,
    start_render,
    texts,
    wait_status,
)


@pytest.fixture
def api(make_local_backend):
    """An Api on a backend whose agent is the fixed ``quick_turn``."""
    return Api(make_local_backend(server_options={"turn_fn": quick_turn}))


def test_control_endpoint_adds_lists_clears_and_validates(local_backend):
    url = local_backend.url + "/_local/faults"
    r = RAW.post(url, json={"rules": [{"endpoint": "credits", "http": 503, "times": 2}]})
    assert r.status_code == 200 and r.json()["data"]["rules"][0]["times"] == 2
    assert RAW.post(url, json={"rules": [{"endpoint": "nope"}]}).status_code == 400
    assert RAW.post(url, json={"rules": [{"endpoint": "run_sse", "stream": "x"}]}).status_code \
        == 400
    assert len(RAW.get(url).json()["data"]["rules"]) == 1
    RAW.delete(url)
    assert RAW.get(url).json()["data"]["rules"] == []


def test_constructor_faults(make_local_backend):
    be = make_local_backend(faults=[{"endpoint": "anonymous_token", "http": 500}])
    r = RAW.post(be.url + "/api/auth/anonymous-token", headers={"X-Client-Id": "c"})
    assert r.status_code == 500
    r = RAW.post(be.url + "/api/auth/anonymous-token", headers={"X-Client-Id": "c"})
    assert r.status_code == 200


def test_1001_fault_revokes_the_token_and_the_client_may_renew(api):
    api.backend.add_faults([{"endpoint": "credits", "code": 1001}])
    r = api.get("/api/credits/balance/simple")
    assert r.status_code == 401 and r.json()["code"] == 1001
    assert api.get("/api/credits/balance/simple").status_code == 401  # really revoked
    r = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": api.client_id})
    assert r.status_code == 200  # no 429: the old token is dead
    assert r.json()["data"]["user_id"] == api.token_data["user_id"]  # same anonymous user
    h = {"Authorization": f"Bearer {r.json()['data']['token']}"}
    assert api.http.get(f"/api/state/nemo_agent/me/{api.sid}/latest", headers=h).status_code \
        == 200


@pytest.mark.parametrize("endpoint, path, code, status", [
    ("state", "state", 1002, 404), ("credits", "credits", 2001, 400),
    ("upload", "upload", 4001, 400), ("upload", "upload", 4002, 413),
])
def test_code_faults(api, endpoint, path, code, status):
    api.backend.add_faults([{"endpoint": endpoint, "code": code}])
    paths = {"state": ("GET", f"/api/state/nemo_agent/me/{api.sid}/latest"),
             "credits": ("GET", "/api/credits/balance/simple"),
             "upload": ("POST", f"/api/upload-video/nemo_agent/me/{api.sid}")}
    method, url = paths[path]
    r = api.http.request(method, url, headers=api.headers)
    assert r.status_code == status and r.json()["code"] == code


def test_http_faults_times_skip_and_retry_after(api):
    api.backend.add_faults([{"endpoint": "credits", "http": 503, "times": 2, "skip": 1},
                            {"endpoint": "state", "http": 429, "retry_after": 3},
                            {"endpoint": "create_session", "http": 403}])
    codes = [api.get("/api/credits/balance/simple").status_code for _ in range(4)]
    assert codes == [200, 503, 503, 200]
    r = api.get(f"/api/state/nemo_agent/me/{api.sid}/latest")
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert api.post("/api/tasks/me/with-session/nemo_agent", json={}).status_code == 403


def test_forever_fault_until_cleared(api):
    api.backend.add_faults([{"endpoint": "credits", "http": 502, "times": -1}])
    assert {api.get("/api/credits/balance/simple").status_code for _ in range(3)} == {502}
    api.backend.clear_faults()
    assert api.get("/api/credits/balance/simple").status_code == 200


def test_body_faults(api):
    api.backend.add_faults([{"endpoint": "credits", "body": "malformed_json"},
                            {"endpoint": "credits", "body": "json_array"},
                            {"endpoint": "credits", "body": "html", "http": 502}])
    r = api.get("/api/credits/balance/simple")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert api.get("/api/credits/balance/simple").json() == [1, 2, 3]
    r = api.get("/api/credits/balance/simple")
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")


# -- run_sse stream variants -----------------------------------------------------------------
def sse_fault(api: Api, rule: dict, *, streaming: bool = False) -> list[bytes]:
    api.backend.add_faults([{"endpoint": "run_sse", **rule}])
    return api.sse(streaming=streaming)


def test_no_text_still_changes_the_draft(api):
    evs = events(sse_fault(api, {"stream": "no_text"}))
    assert texts(evs) == [] and any("functionCall" in str(e) for e in evs)
    assert api.state()["draft"] is not None


def test_no_text_partial_empty_ends_on_an_empty_partial(api):
    evs = events(sse_fault(api, {"stream": "no_text_partial_empty"}, streaming=True))
    assert texts(evs) == []
    assert evs[-1]["partial"] is True and evs[-1]["content"]["parts"] == []


def test_no_content_error(api):
    evs = events(sse_fault(api, {"stream": "no_content_error"}))
    assert texts(evs) == [] and evs[-1]["errorCode"] == "MODEL_RETURNED_NO_CONTENT"


def test_heartbeats_only(api):
    frames = sse_fault(api, {"stream": "heartbeats_only", "seconds": 0.5})
    assert len(frames) >= 2 and set(frames) == {b": heartbeat"}


@pytest.mark.parametrize("form", ["adk", "legacy", "system"])
def test_in_stream_error_forms(api, form):
    evs = events(sse_fault(api, {"stream": "in_stream_error", "error_form": form,
                                 "message": "boom"}, streaming=True))
    assert "Let me work on that." in texts(evs)
    if form == "adk":
        assert evs[-2]["errorCode"] == "RuntimeError" and evs[-2]["errorMessage"] == "boom"
        assert evs[-1]["error"] == "boom" and "error_details" in evs[-1]
    elif form == "legacy":
        assert evs[-1] == {"error": "boom"}
    else:
        assert evs[-1]["author"] == "system" and texts(evs[-1:]) == ["Error: boom"]


def test_drop_closes_the_connection_mid_stream_but_the_turn_completes(api):
    api.backend.add_faults([{"endpoint": "run_sse", "stream": "drop", "after_events": 1}])
    body = {"session_id": api.sid, "new_message": {"parts": [{"text": "x"}]}}
    got = b""
    with pytest.raises(httpx.RemoteProtocolError), \
            api.http.stream("POST", "/run_sse", json=body, headers=api.headers) as r:
        for chunk in r.iter_raw():
            got += chunk
    assert got.count(b"data:") == 1
    for _ in range(200):
        if api.state()["draft"] is not None:
            break
        time.sleep(0.025)
    assert api.state()["draft"] is not None


def test_stall_sends_nothing(api):
    api.backend.add_faults([{"endpoint": "run_sse", "stream": "stall", "seconds": 30}])
    body = {"session_id": api.sid, "new_message": {"parts": [{"text": "x"}]}}
    timeout = httpx.Timeout(5, read=0.3)
    with api.http.stream("POST", "/run_sse", json=body, headers=api.headers,
                         timeout=timeout) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            r.read()


def test_stall_then_turn(api):
    frames = sse_fault(api, {"stream": "stall", "seconds": 0.1, "then": "turn"})
    assert texts(events(frames))


def test_malformed_lines_then_a_normal_turn(api):
    frames = sse_fault(api, {"stream": "malformed_lines"})
    assert b"data: {not json" in frames and b"no colon line" in frames
    good = [json.loads(f[5:]) for f in frames[9:] if f.startswith(b"data:")]
    assert texts(good) and good[-1]["turnComplete"]


def test_huge_event(api):
    frames = sse_fault(api, {"stream": "huge_event"})
    assert len(frames[0]) > 5 * 1024 * 1024
    assert texts(events(frames[1:]))


def test_invalid_utf8(api):
    frames = sse_fault(api, {"stream": "invalid_utf8"})
    assert b"\xff\xfe" in frames[0]
    with pytest.raises(UnicodeDecodeError):
        frames[0].decode("utf-8")
    assert texts(events(frames[1:]))


def test_hostile_text_is_escaped_on_the_wire_and_hostile_after_decoding(api):
    frames = sse_fault(api, {"stream": "hostile_text"}, streaming=True)
    raw = b"".join(frames)
    # C0 controls are JSON-escaped; C1 and DEL travel raw in UTF-8, as with real ADK.
    assert b"\x1b" not in raw and b"\x00" not in raw and b"\\u001b" in raw
    assert "\x9b".encode() in raw
    whole = [t for t in texts(events(frames)) if "bidi" in t]
    assert len(whole) >= 2  # chunks and the final message
    final = max(whole, key=len)
    for bad in ("\x1b[31m", "\x1b]8;;", "\x1b]52;", "\x9b", "\u202e", "\x00", "[bold red]"):
        assert bad in final


# -- render and file faults ------------------------------------------------------------------
@pytest.fixture
def rendered(make_local_backend):
    renders = GatedRenders()
    renders.open("render_z")
    api = Api(make_local_backend(render_options={"render_fn": renders}))
    start_render(api, "render_z")
    wait_status(api, "render_z", "completed")
    return api


def test_render_poll_faults(rendered):
    api = rendered
    api.backend.add_faults([
        {"endpoint": "render_poll", "status": "failed", "error": "GPU on fire"},
        {"endpoint": "render_poll", "status": "processing", "progress": 42, "times": 2},
        {"endpoint": "render_poll", "http": 404}])
    url = "/api/render/proxy/lambda/render_z"
    data = api.get(url).json()["data"]
    assert data["status"] == "failed" and data["error"] == "GPU on fire"
    for _ in range(2):
        data = api.get(url).json()["data"]
        assert data == {"id": "render_z", "status": "processing", "progress": 42}
    assert api.get(url).status_code == 404
    assert api.get(url).json()["data"]["status"] == "completed"


@pytest.mark.parametrize("endpoint", ["file", "render_download"])
def test_file_cut_mid_download(rendered, endpoint):
    api = rendered
    api.backend.add_faults([{"endpoint": endpoint, "cut_after_bytes": 5000}])
    url = (api.backend.url + "/files/render_z.mp4" if endpoint == "file"
           else api.backend.url + "/api/render/proxy/render_z/download")
    got = b""
    with pytest.raises(httpx.RemoteProtocolError), \
            RAW.stream("GET", url, headers=api.headers) as r:
        assert int(r.headers["content-length"]) > 5000
        for chunk in r.iter_raw():
            got += chunk
    assert len(got) == 5000
    assert len(RAW.get(url, headers=api.headers).content) > 5000


def test_module_main_serves_with_a_faults_file(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"rules": [{"endpoint": "anonymous_token", "http": 503}]}))
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_tui.local", "--port", "0", "--data-dir",
         str(tmp_path / "data"), "--faults", str(faults)],
        stdout=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)})
    try:
        line = proc.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        r = RAW.post(url + "/api/auth/anonymous-token", headers={"X-Client-Id": "c"})
        assert r.status_code == 503
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130  # clean shutdown, then "interrupted"
        proc.stdout.close()

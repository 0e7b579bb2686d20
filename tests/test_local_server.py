"""The local backend over real loopback sockets: every endpoint, envelope, error and stream shape."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

from nemo_tui.local.agent import Call, OutOfCredits, Result, Say, Wait

# verify=False: plain-http loopback only, and it skips loading CA certificates (slow).
# No keep-alive: connections must not outlive the backend of the test that opened them.
RAW = httpx.Client(verify=False, trust_env=False, timeout=20,
                   limits=httpx.Limits(max_keepalive_connections=0))
_OPEN: list[httpx.Client] = []
ATTRIBUTION = {"X-Skill-Source": "free-ki-video-generation", "X-Skill-Version": "1.0.0",
               "X-Skill-Platform": "unknown"}


class Api:
    """A raw httpx client with a fresh anonymous token and session on one local backend."""

    def __init__(self, backend, *, session: bool = True) -> None:
        self.backend = backend
        self.http = httpx.Client(base_url=backend.url, timeout=20, trust_env=False, verify=False)
        _OPEN.append(self.http)
        self.client_id = str(uuid.uuid4())
        r = self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": self.client_id})
        assert r.status_code == 200, r.text
        self.token_data = r.json()["data"]
        self.token = self.token_data["token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "X-Client-Id": self.client_id,
                        **ATTRIBUTION}
        self.sid = self.new_session() if session else None

    def new_session(self) -> str:
        r = self.http.post("/api/tasks/me/with-session/nemo_agent", headers=self.headers,
                           json={"task_name": "project", "language": "en"})
        assert r.status_code == 200, r.text
        return r.json()["data"]["session_id"]

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return self.http.post(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def state(self) -> dict:
        r = self.get(f"/api/state/nemo_agent/me/{self.sid}/latest")
        assert r.status_code == 200, r.text
        return r.json()["data"]["state"]

    def sse(self, text: str = "make a video about cats", *, streaming: bool = False,
            sid: str | None = None, timeout: float = 20) -> list[bytes]:
        """Raw SSE frames (blank-line separated) of one turn."""
        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid or self.sid,
                "new_message": {"parts": [{"text": text}]}}
        if streaming:
            body["streaming"] = True
        with self.http.stream("POST", "/run_sse", json=body, timeout=timeout,
                              headers={**self.headers, "Accept": "text/event-stream"}) as r:
            assert r.status_code == 200, r.read()
            assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
            raw = r.read()
        return [f for f in raw.split(b"\n\n") if f]


def events(frames: list[bytes]) -> list[dict]:
    """The JSON of every ``data:`` frame."""
    return [json.loads(f[5:]) for f in frames if f.startswith(b"data:")]


def texts(evs: list[dict]) -> list[str]:
    return [p["text"] for e in evs for p in (e.get("content") or {}).get("parts", [])
            if "text" in p]


@pytest.fixture(autouse=True)
def close_clients():
    """Close every client a test opened (no sockets left for the next test)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture
def api(local_backend):
    return Api(local_backend)


# -- auth ------------------------------------------------------------------------------------
def test_anonymous_token_shape_and_rate_limit(local_backend):
    api = Api(local_backend, session=False)
    data = api.token_data
    assert data["token"].startswith("nmv_usr_") and data["user_id"].startswith("anon_")
    assert data["credits"] == 100
    expires = time.mktime(time.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 6.9 * 86400 < expires - time.mktime(time.gmtime()) < 7.1 * 86400
    again = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": api.client_id})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 86400
    missing = api.http.post("/api/auth/anonymous-token")
    assert missing.status_code == 400
    other = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "other"})
    assert other.status_code == 200 and other.json()["data"]["token"] != data["token"]


def test_rate_limit_can_be_switched_off(make_local_backend):
    be = make_local_backend(server_options={"enforce_token_rate_limit": False})
    http = httpx.Client(base_url=be.url, verify=False)
    _OPEN.append(http)
    codes = [http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "same"}).status_code
             for _ in range(2)]
    assert codes == [200, 200]


def test_bad_missing_and_expired_tokens_are_1001(local_backend):
    http = httpx.Client(base_url=local_backend.url, verify=False)
    _OPEN.append(http)
    for headers in ({}, {"Authorization": "Bearer nmv_usr_nope"}, {"Authorization": "Basic x"}):
        r = http.get("/api/credits/balance/simple", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == 1001
    expired = http.post("/_local/tokens", json={"expires_in": -1}).json()["data"]["token"]
    r = http.get("/api/credits/balance/simple", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["code"] == 1001


def test_scopes_limit_actions(local_backend):
    http = httpx.Client(base_url=local_backend.url, verify=False)
    _OPEN.append(http)
    tok = http.post("/_local/tokens", json={"scopes": ["read"]}).json()["data"]["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert http.get("/api/credits/balance/simple", headers=h).status_code == 200
    r = http.post("/api/tasks/me/with-session/nemo_agent", headers=h, json={})
    assert r.status_code == 403 and "write" in r.json()["message"]


def test_tokens_and_sessions_survive_a_restart(make_local_backend, tmp_path):
    be = make_local_backend(data_dir=tmp_path / "d")
    api = Api(be)
    be.stop()
    be2 = make_local_backend(data_dir=tmp_path / "d")
    http = httpx.Client(base_url=be2.url, headers=api.headers, verify=False)
    _OPEN.append(http)
    r = http.get(f"/api/state/nemo_agent/me/{api.sid}/latest")
    assert r.status_code == 200 and r.json()["data"]["session_id"] == api.sid
    assert http.post("/api/auth/anonymous-token").status_code == 429
    stored = (tmp_path / "d" / "accounts.json").read_text()
    assert api.token not in stored  # only hashes on disk


# -- session, state, credits -----------------------------------------------------------------
def test_session_state_and_credits(api):
    assert api.sid.isdigit()
    r = api.get(f"/api/state/nemo_agent/me/{api.sid}/latest").json()
    assert r["code"] == 0 and r["message"] == "ok"
    assert r["data"]["task_id"].startswith("task_") and r["data"]["task_name"] == "project"
    assert r["data"]["state"] == {"draft": None, "video_infos": [], "generated_media": [],
                                  "canvas_config": {}, "video_analyses": {}}
    assert api.get("/api/credits/balance/simple").json() == {
        "code": 0, "message": "ok", "data": {"available": 100, "frozen": 0, "total": 100}}


def test_other_users_session_is_not_found(local_backend):
    a, b = Api(local_backend), Api(local_backend)
    r = b.get(f"/api/state/nemo_agent/me/{a.sid}/latest")
    assert r.status_code == 404 and r.json()["code"] == 1002
    r = b.get("/api/state/nemo_agent/me/../../etc/latest")
    assert r.status_code == 404


# -- run_sse ---------------------------------------------------------------------------------
async def quick_turn(ctx, message):
    """A fixed generation turn without waits (tests must not depend on the real agent)."""
    yield Say("Sure — making your video.")
    yield Call("generate_video_with_seedance", {"prompt": message}, "c1")
    ctx.draft = {"d": 2000, "m": {"title": "T", "width": 320, "height": 180},
                 "t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {"name": "clip"}}]}]}
    yield Result("generate_video_with_seedance", {"status": "ok"}, "c1")
    yield Say("Done! Your video is ready. Click the Export button to download it.")


@pytest.fixture
def quick(make_local_backend):
    """An Api on a backend whose agent is ``quick_turn``."""
    return Api(make_local_backend(server_options={"turn_fn": quick_turn}))


def test_real_agent_turn_end_to_end(api):
    evs = events(api.sse("make a 10 second video of a city at night"))
    assert evs and evs[-1].get("turnComplete") is True
    assert all(e["author"] == "nemo_agent" for e in evs)


def test_run_sse_adk_events_without_streaming(quick):
    api = quick
    evs = events(api.sse())
    for ev in evs:
        assert {"id", "timestamp", "invocationId", "author", "actions"} <= ev.keys()
        assert "partial" not in ev
    assert len({ev["invocationId"] for ev in evs}) == 1
    calls = [p["functionCall"] for e in evs for p in e["content"]["parts"] if "functionCall" in p]
    resps = [e for e in evs if any("functionResponse" in p for p in e["content"]["parts"])]
    assert calls and calls[0]["name"] and calls[0]["id"]
    assert resps and all(e["content"]["role"] == "user" for e in resps)
    assert evs[-1]["turnComplete"] is True and texts(evs[-1:])
    assert api.state()["draft"] is not None  # applied before the stream ended


def test_run_sse_streaming_partials_then_whole_text(quick):
    evs = events(quick.sse(streaming=True))
    final = [e for e in evs if not e.get("partial") and texts([e])]
    assert [texts([e])[0] for e in final] == [
        "Sure — making your video.",
        "Done! Your video is ready. Click the Export button to download it."]
    for message in final:
        chunks = [e for e in evs if e.get("partial") and e["id"] == message["id"]
                  and texts([e])]
        assert len(texts(chunks)) >= 2
        assert "".join(texts(chunks)) == texts([message])[0]
        # As in ADK: the last chunk already carries finishReason; only "partial" says final.
        assert chunks[-1]["finishReason"] == "STOP" and "finishReason" not in chunks[0]
    call_events = [e for e in evs if any("functionCall" in p for p in e["content"]["parts"])]
    assert [bool(e.get("partial")) for e in call_events] == [True, False]


def test_run_sse_camel_case_body_and_unknown_session(quick):
    api = quick
    r = api.post("/run_sse", json={"appName": "nemo_agent", "userId": "me", "sessionId": "123",
                                   "newMessage": {"parts": [{"text": "hi"}]}})
    assert r.status_code == 404 and r.json()["code"] == 1002
    r = api.post("/run_sse", json={"sessionId": api.sid,
                                   "newMessage": {"parts": [{"text": "hi"}]}})
    assert r.status_code == 200 and b"data:" in r.content


async def scripted_turn(ctx, message):
    """A fixed turn exercising every step kind (independent of the real agent)."""
    yield Say("Planning [bold]your[/bold] video.")
    yield Call("generate_music", {"mood": message}, "c9")
    yield Wait(0.5)
    ctx.draft = {"d": 1000, "t": [{"tt": 1, "sg": [{"d": 1000, "m": {"name": "song"}}]}]}
    ctx.freeze(30)
    yield Result("generate_music", {"status": "ok"}, "c9")
    yield Say("Done.")


def test_scripted_turn_heartbeats_and_text_with_call(make_local_backend):
    be = make_local_backend(server_options={"turn_fn": scripted_turn})
    api = Api(be)
    frames = api.sse("calm", streaming=True)
    assert b": heartbeat" in frames  # during the 0.5 s Wait (heartbeat every 0.2 s)
    evs = events(frames)
    finals = [e for e in evs if not e.get("partial")]
    # The model message carrying the call also carries the text said before it.
    assert finals[0]["content"]["parts"][0] == {"text": "Planning [bold]your[/bold] video."}
    assert finals[0]["content"]["parts"][1]["functionCall"]["name"] == "generate_music"
    assert texts([finals[-1]]) == ["Done."] and finals[-1]["turnComplete"]
    assert api.state()["draft"]["d"] == 1000
    assert api.get("/api/credits/balance/simple").json()["data"] == {
        "available": 70, "frozen": 30, "total": 100}


@pytest.mark.parametrize("form, marker", [("event", b"event: heartbeat\ndata: {}"),
                                          ("empty_data", b"data: "),
                                          ("json", b'data: {"type":"heartbeat"}')])
def test_heartbeat_forms(make_local_backend, form, marker):
    be = make_local_backend(server_options={"turn_fn": scripted_turn, "heartbeat_form": form})
    frames = Api(be).sse()
    assert marker in frames
    assert b": heartbeat" not in frames


def test_simplified_event_style(make_local_backend):
    be = make_local_backend(server_options={"turn_fn": scripted_turn, "event_style": "simple"})
    evs = [e for e in events(Api(be).sse()) if e.get("type") != "heartbeat"]
    assert [e["type"] for e in evs] == ["text", "tool_call", "tool_result", "text"]
    assert evs[0]["content"].startswith("Planning") and evs[1]["name"] == "generate_music"
    assert evs[2]["result"] == {"status": "ok"}


async def failing_turn(ctx, message):
    """A turn whose tool raises."""
    yield Say("Trying.")
    raise RuntimeError("tool exploded")


def test_agent_exception_is_an_in_stream_error_pair(make_local_backend):
    be = make_local_backend(server_options={"turn_fn": failing_turn})
    evs = events(Api(be).sse())
    assert texts(evs) == ["Trying."]
    assert evs[-2]["errorCode"] == "RuntimeError" and "exploded" in evs[-2]["errorMessage"]
    assert evs[-1] == {"error": "tool exploded", "error_details": {}}


async def broke_turn(ctx, message):
    """A turn refused for credits before its first step (as the real agent does)."""
    if ctx.available() < 100:
        raise OutOfCredits(100, ctx.available())
    yield Say("paid")


def test_no_credits_refuses_the_turn_before_streaming(make_local_backend):
    be = make_local_backend(server_options={"free_credits": 50, "turn_fn": broke_turn})
    api = Api(be)
    r = api.post("/run_sse", json={"session_id": api.sid, "new_message": {"parts": []}})
    assert r.status_code == 400 and r.json()["code"] == 2001
    assert api.state()["draft"] is None


def test_client_leaving_does_not_stop_the_turn(make_local_backend):
    be = make_local_backend(server_options={"turn_fn": scripted_turn})
    api = Api(be)
    body = {"session_id": api.sid, "new_message": {"parts": [{"text": "x"}]}}
    with api.http.stream("POST", "/run_sse", json=body, headers=api.headers) as r:
        next(r.iter_bytes())  # first bytes, then hang up
    for _ in range(200):
        if api.state()["draft"] is not None:
            break
        time.sleep(0.05)
    assert api.state()["draft"]["d"] == 1000


# -- request log -----------------------------------------------------------------------------
def test_request_log_has_x_headers_but_never_the_token(api):
    api.get("/api/credits/balance/simple")
    log = RAW.get(api.backend.url + "/_local/requests").json()["data"]["requests"]
    entry = log[-1]
    assert entry["path"] == "/api/credits/balance/simple" and entry["endpoint"] == "credits"
    assert entry["headers"]["x-skill-source"] == "free-ki-video-generation"
    assert "authorization" in entry["header_names"] and entry["has_authorization"]
    assert api.token not in json.dumps(log) and api.token not in json.dumps(api.backend.requests())
    session_post = next(e for e in log if e["endpoint"] == "create_session")
    assert session_post["json"] == {"task_name": "project", "language": "en"}


# -- upload ----------------------------------------------------------------------------------
def _media_files(api: Api) -> list[str]:
    d = api.backend.data_dir / "media" / api.sid
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_multipart_upload_bytes_identical_names_safe_never_overwritten(api):
    payload = bytes(range(256)) * 1200 + b"tail"
    files = [("files", ("clip.mp4", payload, "video/mp4")),
             ("files", ("clip.mp4", b"second", "video/mp4")),
             ("files", ("../../x/..\\evil\x1b[31m\u202e.PNG", b"png", "image/png"))]
    r = api.post(f"/api/upload-video/nemo_agent/me/{api.sid}", files=files)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["session_state_applied"] is True
    names = [f["filename"] for f in data["files"]]
    assert names[:2] == ["clip.mp4", "clip (1).mp4"]
    assert "/" not in names[2] and "\\" not in names[2] and "\x1b" not in names[2]
    assert names[2].endswith(".PNG") and not names[2].startswith(".")
    assert [f["file_type"] for f in data["files"]] == ["video", "video", "image"]
    media = api.backend.data_dir / "media" / api.sid
    assert (media / "clip.mp4").read_bytes() == payload
    assert (media / "clip (1).mp4").read_bytes() == b"second"
    assert sorted(names) == _media_files(api)
    first = data["files"][0]
    assert {"duration", "width", "height", "fps", "hash", "cdn_url"} <= first.keys()
    assert RAW.get(first["cdn_url"]).content == payload  # cdn_url serves the bytes
    assert [i["filename"] for i in api.state()["video_infos"]] == names


def test_upload_refuses_bad_format_and_size_leaving_nothing(make_local_backend):
    api = Api(make_local_backend(server_options={"max_upload_bytes": 1000}))
    url = f"/api/upload-video/nemo_agent/me/{api.sid}"
    r = api.post(url, files=[("files", ("a.mp4", b"ok", "video/mp4")),
                             ("files", ("notes.txt", b"x", "text/plain"))])
    assert r.status_code == 400 and r.json()["code"] == 4001
    r = api.post(url, files=[("files", ("big.mp4", b"x" * 5000, "video/mp4"))])
    assert r.status_code == 413 and r.json()["code"] == 4002
    r = api.post(url, files=[("other", ("a.mp4", b"x", "video/mp4"))])
    assert r.status_code == 400 and r.json()["code"] == 4001
    assert _media_files(api) == [] and api.state()["video_infos"] == []
    r = api.post("/api/upload-video/nemo_agent/me/999", files=[("files", ("a.mp4", b"x"))])
    assert r.status_code == 404 and r.json()["code"] == 1002


def test_url_upload_file_and_loopback_only(api, tmp_path):
    src = tmp_path / "song.mp3"
    src.write_bytes(b"ID3" + bytes(5000))
    url = f"/api/upload-video/nemo_agent/me/{api.sid}"
    r = api.post(url, json={"urls": [src.as_uri()], "source_type": "url"})
    assert r.status_code == 200, r.text
    first = r.json()["data"]["files"][0]
    assert first["file_type"] == "audio"
    r = api.post(url, json={"urls": [first["cdn_url"]], "source_type": "url"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["files"][0]["filename"] == "song (1).mp3"
    media = api.backend.data_dir / "media" / api.sid
    assert (media / "song (1).mp3").read_bytes() == src.read_bytes()
    r = api.post(url, json={"urls": ["https://example.com/a.mp4"], "source_type": "url"})
    assert r.status_code == 400 and r.json()["code"] == 4001
    assert "loopback" in r.json()["message"]
    r = api.post(url, json={"source_type": "url"})
    assert r.status_code == 400 and r.json()["code"] == 4001


# -- render ----------------------------------------------------------------------------------
DRAFT = {"d": 2000, "m": {"title": "T", "width": 320, "height": 180},
         "t": [{"tt": 0, "sg": [{"s": 0, "d": 2000, "m": {"name": "clip"}}]}]}
CONTENT = bytes(range(256)) * 400


class GatedRenders:
    """A fake renderer: reports 50 %, then waits until the test opens the job's gate."""

    def __init__(self) -> None:
        self.opened: set[str] = set()

    def open(self, render_id: str) -> None:
        self.opened.add(render_id)

    async def __call__(self, draft, out_path: Path, *, media_dir, progress, scale, cancel):
        render_id = out_path.name.split(".")[0]
        progress(0.5)
        while render_id not in self.opened:
            await asyncio.sleep(0.01)
        out_path.write_bytes(CONTENT)
        progress(1.0)


def start_render(api: Api, render_id: str, **kw) -> httpx.Response:
    body = {"id": render_id, "sessionId": api.sid, "draft": DRAFT,
            "output": {"format": "mp4", "quality": "high"}}
    return api.post("/api/render/proxy/lambda", json=body, **kw)


def wait_status(api: Api, render_id: str, wanted: str) -> dict:
    for _ in range(400):
        data = api.get(f"/api/render/proxy/lambda/{render_id}").json()["data"]
        if data["status"] == wanted:
            return data
        time.sleep(0.025)
    raise AssertionError(f"{render_id} never became {wanted}: {data}")


@pytest.fixture
def gated(make_local_backend):
    renders = GatedRenders()
    be = make_local_backend(render_options={"render_fn": renders, "max_concurrent": 1})
    return Api(be), renders


def test_render_queue_lifecycle_and_cancel(gated):
    api, renders = gated
    r = start_render(api, "render_a")
    assert r.json() == {"success": True, "data": {"id": "render_a", "status": "pending",
                                                  "progress": 5}}
    assert start_render(api, "render_b").status_code == 200
    a = wait_status(api, "render_a", "processing")
    assert a["progress"] == 52
    assert api.get("/api/render/proxy/lambda/render_b").json()["data"]["status"] == "pending"
    renders.open("render_a")
    a = wait_status(api, "render_a", "completed")
    assert a["progress"] == 100 and a["outputUrl"].endswith("/files/render_a.mp4")
    wait_status(api, "render_b", "processing")  # the queue moves on
    r = api.post("/api/render/proxy/lambda/render_b/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "cancelled"
    assert wait_status(api, "render_b", "cancelled")


def test_render_errors(gated):
    api, _ = gated
    assert start_render(api, "render_x").status_code == 200
    dup = start_render(api, "render_x")
    assert dup.status_code == 409 and "duplicate id" in dup.json()["error"]
    no_attr = api.http.post("/api/render/proxy/lambda", headers={
        "Authorization": f"Bearer {api.token}"}, json={"id": "r2", "sessionId": api.sid,
                                                         "draft": DRAFT})
    assert no_attr.status_code == 402
    assert api.get("/api/render/proxy/lambda/nope").status_code == 404
    assert api.post("/api/render/proxy/lambda/nope/cancel").status_code == 404
    bad = api.post("/api/render/proxy/lambda", json={"id": "../x", "sessionId": api.sid,
                                                     "draft": DRAFT})
    assert bad.status_code == 400
    r = api.post("/api/render/proxy/lambda", json={"id": "r3", "sessionId": "1", "draft": DRAFT})
    assert r.status_code == 404
    other = Api(api.backend)
    assert other.get("/api/render/proxy/lambda/render_x").status_code == 404


def test_output_file_range_and_authenticated_download(gated):
    api, renders = gated
    renders.open("render_f")
    start_render(api, "render_f")
    url = wait_status(api, "render_f", "completed")["outputUrl"]
    assert RAW.get(url).content == CONTENT  # no auth needed
    part = RAW.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == CONTENT[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(CONTENT)}"
    tail = RAW.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == CONTENT[-10:]
    dl = api.get("/api/render/proxy/render_f/download")
    assert dl.status_code == 200 and dl.content == CONTENT
    assert RAW.get(api.backend.url + "/api/render/proxy/render_f/download").status_code == 401
    assert RAW.get(api.backend.url + "/files/nope.mp4").status_code == 404
    assert RAW.get(api.backend.url + "/files/..%2Faccounts.json").status_code == 404


@pytest.mark.parametrize("style", ["bare", "code"])
def test_render_reply_styles(make_local_backend, style):
    renders = GatedRenders()
    renders.open("render_s")
    be = make_local_backend(server_options={"render_reply_style": style},
                            render_options={"render_fn": renders})
    api = Api(be)
    start_render(api, "render_s")
    for _ in range(400):
        body = api.get("/api/render/proxy/lambda/render_s").json()
        data = body if style == "bare" else body["data"]
        if data["status"] == "completed":
            break
        time.sleep(0.025)
    if style == "bare":
        assert body["taskId"] == "render_s" and body["output"]["url"].endswith("render_s.mp4")
        assert body["output"]["size"] == len(CONTENT) and body["output"]["duration"] == 2.0
    else:
        assert body["code"] == 0 and body["data"]["outputUrl"].endswith("render_s.mp4")


def test_renders_survive_a_restart(make_local_backend, tmp_path):
    renders = GatedRenders()
    renders.open("render_done")
    opts = {"render_fn": renders, "max_concurrent": 1}
    be = make_local_backend(data_dir=tmp_path / "d", render_options=opts)
    api = Api(be)
    start_render(api, "render_done")
    wait_status(api, "render_done", "completed")
    start_render(api, "render_running")
    start_render(api, "render_waiting")
    wait_status(api, "render_running", "processing")
    be.stop()
    be2 = make_local_backend(data_dir=tmp_path / "d", render_options=opts)
    api.http = httpx.Client(base_url=be2.url, verify=False)
    _OPEN.append(api.http)
    done = api.get("/api/render/proxy/lambda/render_done").json()["data"]
    assert done["status"] == "completed" and done["outputUrl"].startswith(be2.url)
    for rid in ("render_running", "render_waiting"):
        data = api.get(f"/api/render/proxy/lambda/{rid}").json()["data"]
        assert data["status"] == "failed"
        assert data["error"] == "interrupted by a backend restart"


def test_real_tiny_render(api):
    r = api.post("/api/render/proxy/lambda",
                 json={"id": "render_real", "sessionId": api.sid, "draft": DRAFT})
    assert r.status_code == 200
    data = wait_status(api, "render_real", "completed")
    head = RAW.get(data["outputUrl"], headers={"Range": "bytes=0-11"}).content
    assert head[4:8] == b"ftyp"
    # The render, uploaded back by URL, is probed: real media facts instead of nulls.
    r = api.post(f"/api/upload-video/nemo_agent/me/{api.sid}",
                 json={"urls": [data["outputUrl"]], "source_type": "url"})
    info = r.json()["data"]["files"][0]
    assert info["filename"] == "render_real.mp4" and info["file_type"] == "video"
    assert info["duration"] > 0 and isinstance(info["width"], int) and info["height"] > 0


def test_malformed_multipart_is_a_clean_4001(api):
    body = b"--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.mp4\"\r\n" \
           b"\r\npartial data with no closing boundary"
    r = api.post(f"/api/upload-video/nemo_agent/me/{api.sid}", content=body,
                 headers={"Content-Type": "multipart/form-data; boundary=XYZ"})
    assert r.status_code == 400 and r.json()["code"] == 4001
    assert _media_files(api) == []


def test_missing_extra_and_non_loopback_hosts_are_refused(monkeypatch, tmp_path):
    import sys

    from nemo_tui.local.runner import LocalBackend, LocalBackendUnavailable

    with pytest.raises(ValueError, match="loopback"):
        LocalBackend(tmp_path, host="0.0.0.0")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # "not installed"
    with pytest.raises(LocalBackendUnavailable, match=r"nemo-tui\[local\]"):
        LocalBackend(tmp_path).start()

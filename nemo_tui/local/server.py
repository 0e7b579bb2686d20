"""The local NemoVideo backend: every endpoint of PROTOCOL.md as a Starlette app.

``create_app(data_dir, faults=..., agent_options=..., render_options=..., server_options=...)``.
Server options (all optional): ``heartbeat_interval`` (5 s), ``heartbeat_form`` ("comment" |
"event" | "empty_data" | "json"), ``event_style`` ("adk" | "simple"), ``render_reply_style``
("success" | "bare" | "code" | "rotate"), ``enforce_token_rate_limit`` (True),
``free_credits`` (100), ``max_upload_bytes`` (200 MB), ``reject_broken_media`` (True: refuse
uploads the probe cannot read with 4001), ``wait_scale`` (1.0: multiplies the
agent's Wait steps), ``chunks`` (partial chunks per message, 4), ``turn_fn`` (replaces
``agent.run_turn``, for tests), ``draft_format`` ("short-json" | "v3" | "v3-object": how the
state reply carries the draft; render requests accept all three). Render options: ``scale`` / ``render_scale`` (1.0),
``max_concurrent`` / ``max_concurrent_renders`` (max(1, cores // 2)), ``render_fn`` (replaces
``render.render_draft``, for tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nemo_tui.local import agent as agent_mod
from nemo_tui.local import sessions as sessions_mod
from nemo_tui.local.faults import FaultBook, generic_response
from nemo_tui.local.renders import RenderQueue
from nemo_tui.local.sessions import Store, iso_utc

SCOPE_OF = {"create_session": "write", "run_sse": "write", "upload": "upload", "credits": "read",
            "state": "read", "render_start": "render", "render_poll": "render",
            "render_cancel": "render", "render_download": "render"}
ATTRIBUTION = ("x-skill-source", "x-skill-version", "x-skill-platform")


def ok(data: Any) -> JSONResponse:
    """The usual success envelope."""
    return JSONResponse({"code": 0, "message": "ok", "data": data})


def fail(code: int, message: str, status: int, headers: dict | None = None) -> JSONResponse:
    """An error envelope with an HTTP status."""
    return JSONResponse({"code": code, "message": message, "data": None}, status, headers)


class Denied(Exception):
    """A guard refused the request; ``response`` is the answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


class Backend:
    """Everything one running local backend holds: store, faults, renders, options, log."""

    def __init__(self, data_dir: Path, *, faults: list[dict] | None = None,
                 agent_options: dict | None = None, render_options: dict | None = None,
                 server_options: dict | None = None) -> None:
        self.options = dict(server_options or {})
        from nemo_tui.local.v3 import FORMATS

        if self.options.get("draft_format", "short-json") not in FORMATS:
            raise ValueError(f"draft_format must be one of {', '.join(FORMATS)}")
        self.store = Store(Path(data_dir), free_credits=int(
            self.options.get("free_credits", sessions_mod.FREE_CREDITS)))
        self.faults = FaultBook(faults)
        self.agent_options = dict(agent_options or {})
        ro = dict(render_options or {})
        self.renders = RenderQueue(
            self.store, scale=float(ro.get("scale", ro.get("render_scale", 1.0))),
            max_concurrent=ro.get("max_concurrent", ro.get("max_concurrent_renders")),
            options=ro)
        self.log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.turn_tasks: set[asyncio.Task] = set()
        self._styles = itertools.cycle(("success", "bare", "code"))
        #: Polls answered per render under a ``"progress": "advance"`` fault (not persisted).
        self.poll_ticks: dict[str, int] = {}
        #: One lock per generated file being made (local/generated.py), on this server's loop.
        self.generated_locks: dict[Path, asyncio.Lock] = {}

    def opt(self, name: str, default: Any) -> Any:
        """A server option with its default."""
        return self.options.get(name, default)

    async def guard(self, request: Request, endpoint: str) -> tuple[dict | None, dict | None]:
        """Faults, then token, then scope; returns (token record, special fault rule)."""
        entry = request.scope.get("nemo_log")
        if entry is not None:
            entry["endpoint"] = endpoint
        token = _bearer(request)
        rule = self.faults.take(endpoint)
        if rule is not None:
            if rule.get("delay"):
                await asyncio.sleep(float(rule["delay"]))
            resp = generic_response(rule)
            if resp is not None:
                if rule.get("code") == 1001 and token:
                    self.store.revoke_token(token)  # the server said so: make it true
                raise Denied(resp)
        if endpoint in ("anonymous_token", "file"):
            return None, rule
        rec = self.store.lookup_token(token) if token else None
        if rec is None:
            raise Denied(fail(1001, "invalid or expired token", 401))
        scope = SCOPE_OF.get(endpoint)
        if scope and scope not in rec.get("scopes", ()):
            raise Denied(fail(403, f"token lacks the '{scope}' scope", 403))
        return rec, rule

    def session_or_404(self, sid: str, rec: dict) -> dict:
        """The caller's session, or a 1002 refusal."""
        session = self.store.get_session(str(sid), rec["user_id"])
        if session is None:
            raise Denied(fail(1002, "session not found", 404))
        return session

    def reply_style(self) -> str:
        """Which of the three documented render reply shapes to use now."""
        style = self.opt("render_reply_style", "success")
        return next(self._styles) if style == "rotate" else style


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return None


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise Denied(fail(400, "the request body is not valid JSON", 400)) from None


def backend_of(request: Request) -> Backend:
    """The Backend behind this request's app."""
    return request.app.state.backend


# -- auth, session, credits, state -----------------------------------------------------------
async def anonymous_token(request: Request) -> Response:
    """POST /api/auth/anonymous-token (§3)."""
    be = backend_of(request)
    await be.guard(request, "anonymous_token")
    client_id = request.headers.get("x-client-id", "").strip()
    if not client_id:
        return fail(400, "missing X-Client-Id header", 400)
    if be.opt("enforce_token_rate_limit", True):
        wait = be.store.token_retry_after(client_id)
        if wait is not None:
            return fail(429, "one anonymous token per client per 7 days", 429,
                        {"Retry-After": str(wait)})
    token, rec = be.store.issue_token(client_id)
    credits = be.store.credits(rec["user_id"])["available"]
    return ok({"token": token, "user_id": rec["user_id"], "credits": credits,
               "expires_at": iso_utc(rec["expires_at"])})


async def create_session(request: Request) -> Response:
    """POST /api/tasks/me/with-session/nemo_agent (§4)."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "create_session")
    body = await _json_body(request)
    body = body if isinstance(body, dict) else {}
    session = be.store.create_session(rec["user_id"], str(body.get("task_name") or "project"),
                                      str(body.get("language") or "en"))
    return ok({"task_id": session["task_id"], "session_id": session["session_id"],
               "user_id": session["user_id"]})


async def credits(request: Request) -> Response:
    """GET /api/credits/balance/simple (§7)."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "credits")
    return ok(be.store.credits(rec["user_id"]))


async def state(request: Request) -> Response:
    """GET /api/state/nemo_agent/me/<sid>/latest (§8)."""
    be = backend_of(request)
    rec, _ = await be.guard(request, "state")
    session = be.session_or_404(request.path_params["sid"], rec)
    state = session["state"]
    draft_format = be.opt("draft_format", "short-json")
    if draft_format != "short-json":
        from nemo_tui.local.v3 import serve

        state = {**state, "draft": serve(state.get("draft"), draft_format)}
    return ok({"session_id": session["session_id"], "task_id": session["task_id"],
               "task_name": session["task_name"], "state": state})


# -- control endpoints (loopback only) -------------------------------------------------------
def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise Denied(fail(403, "control endpoints are loopback only", 403))


async def control_faults(request: Request) -> Response:
    """POST (add {"rules": [...]}), DELETE (clear), GET (list) the fault rules."""
    _loopback_only(request)
    be = backend_of(request)
    if request.method == "POST":
        body = await _json_body(request)
        rules = body.get("rules") if isinstance(body, dict) else body
        try:
            be.faults.add(list(rules or []))
        except (ValueError, TypeError) as exc:
            return fail(400, str(exc), 400)
    elif request.method == "DELETE":
        be.faults.clear()
    return ok({"rules": be.faults.active()})


async def control_requests(request: Request) -> Response:
    """GET the request log (no Authorization values), DELETE to clear it."""
    _loopback_only(request)
    be = backend_of(request)
    if request.method == "DELETE":
        be.log.clear()
    return ok({"requests": list(be.log)})


async def control_tokens(request: Request) -> Response:
    """POST {"client_id"?, "scopes"?, "credits"?, "expires_in"?}: mint a token for tests."""
    _loopback_only(request)
    be = backend_of(request)
    body = await _json_body(request)
    body = body if isinstance(body, dict) else {}
    token, rec = be.store.issue_token(
        body.get("client_id"), scopes=body.get("scopes"), credits=body.get("credits"),
        ttl=float(body.get("expires_in", sessions_mod.TOKEN_TTL)), anonymous=False)
    return ok({"token": token, "user_id": rec["user_id"], "scopes": rec["scopes"],
               "expires_at": iso_utc(rec["expires_at"])})


async def control_credits(request: Request) -> Response:
    """POST {"user_id", "available", "frozen"?}: set a user's balance."""
    _loopback_only(request)
    be = backend_of(request)
    body = await _json_body(request)
    user = be.store.users.get(str((body or {}).get("user_id")))
    if user is None:
        return fail(404, "unknown user", 404)
    user["available"] = int(body.get("available", user["available"]))
    user["frozen"] = int(body.get("frozen", user["frozen"]))
    be.store._save_accounts()
    return ok(be.store.credits(str(body["user_id"])))


async def health(request: Request) -> Response:
    """GET /_local/health: liveness for the runner."""
    return ok({"status": "up"})


# -- request log middleware ------------------------------------------------------------------
class RequestLog:
    """Pure-ASGI middleware: logs method, path, header names and X-* values, small JSON bodies.

    The Authorization value is never recorded (only whether it was present).
    """

    def __init__(self, app: Any, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Record the request, then pass it on."""
        if scope["type"] != "http" or scope["path"].startswith("/_local/"):
            return await self.app(scope, receive, send)
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                   for k, v in scope["headers"]]
        entry: dict[str, Any] = {
            "method": scope["method"], "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "header_names": [k for k, _ in headers],
            "headers": {k: v for k, v in headers if k.startswith("x-")},
            "has_authorization": any(k == "authorization" for k, _ in headers),
            "time": time.time(), "endpoint": None, "json": None,
            # the peer's port tells connections apart (tests count connections with it)
            "client_port": (scope.get("client") or (None, None))[1],
        }
        ctype = dict(headers).get("content-type", "")
        self.backend.log.append(entry)
        scope["nemo_log"] = entry
        if "json" not in ctype:
            return await self.app(scope, receive, send)
        buf = bytearray()

        async def tee() -> dict:
            msg = await receive()
            if msg["type"] == "http.request" and len(buf) < 65536:
                buf.extend(msg.get("body", b""))
                if not msg.get("more_body"):
                    try:
                        entry["json"] = json.loads(bytes(buf))
                    except ValueError:
                        pass
            return msg

        await self.app(scope, tee, send)


async def _denied_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Denied)
    return exc.response


def create_app(data_dir: Path, *, faults: list[dict] | None = None,
               agent_options: dict | None = None, render_options: dict | None = None,
               server_options: dict | None = None) -> Any:
    """Build the ASGI app (the request log wraps the Starlette app)."""
    from nemo_tui.local import generated, media_routes, sse_route

    backend = Backend(data_dir, faults=faults, agent_options=agent_options,
                      render_options=render_options, server_options=server_options)
    routes = [
        Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
        Route("/api/tasks/me/with-session/nemo_agent", create_session, methods=["POST"]),
        Route("/run_sse", sse_route.run_sse, methods=["POST"]),
        Route("/api/credits/balance/simple", credits, methods=["GET"]),
        Route("/api/state/nemo_agent/me/{sid}/latest", state, methods=["GET"]),
        *media_routes.routes(),
        *generated.routes(),
        Route("/_local/faults", control_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_local/requests", control_requests, methods=["GET", "DELETE"]),
        Route("/_local/tokens", control_tokens, methods=["POST"]),
        Route("/_local/credits", control_credits, methods=["POST"]),
        Route("/_local/health", health, methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await backend.renders.shutdown()
        for task in list(backend.turn_tasks):
            task.cancel()

    app = Starlette(routes=routes, exception_handlers={Denied: _denied_handler},
                    lifespan=lifespan)
    app.state.backend = backend
    wrapped = RequestLog(app, backend)
    wrapped.state = app.state  # type: ignore[attr-defined]
    return wrapped


def new_rng(session: dict) -> random.Random:
    """A per-turn random source: reproducible from the session id and turn number."""
    n = session.get("turns", 0)
    return random.Random(f"{session['session_id']}:{n}")


def turn_function(backend: Backend):
    """The agent's ``run_turn`` (or the test override from server options)."""
    return backend.options.get("turn_fn") or agent_mod.run_turn

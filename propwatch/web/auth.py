"""Who is asking: tokens, roles, the login session and CSRF.

Two roles: ``analyst`` (reads and writes: analyze, corrections) and
``reader`` (reads only). Each role has a token: the analyst token
(``--token`` / ``PROPWATCH_API_TOKEN``, a random one printed at start when
unset) and, optionally, the reader token (``--read-token`` /
``PROPWATCH_READ_TOKEN``).

How a request proves who it is:

* ``Authorization: Bearer TOKEN`` (scripts and the API);
* the signed session cookie that the login page (``/login``) gives for a
  token: HttpOnly, SameSite=Strict, signed with a key derived from the
  tokens, so changing a token ends the sessions made with it;
* nothing, for the pages of a server bound to loopback (``open`` mode, the
  default on a laptop): the local user is an analyst (a reader with
  ``--read-only``). The API still wants a token or a session there, so a
  web page elsewhere cannot use it.

CSRF: every form carries the session's token (``csrf_field()`` in a
template) and :func:`check_csrf` compares it; a browser POST from another
origin (its ``Origin`` header) is refused before any route runs. Requests
with a Bearer token carry no cookie and need neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, error_response

ANALYST = "analyst"
READER = "reader"
ROLES = (ANALYST, READER)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# paths open to everyone: the login page itself and the static files it uses
PUBLIC_PREFIXES = ("/login", "/logout", "/static/", "/assets/")


@dataclass(frozen=True)
class User:
    """Who made a request: a name for the records it writes, and a role."""

    name: str
    role: str
    via: str  # "bearer", "session" or "open"

    @property
    def can_write(self) -> bool:
        return self.role == ANALYST


@dataclass(frozen=True)
class Tokens:
    """The server's tokens, one per role; ``open``: loopback pages need none."""

    analyst: str
    reader: str | None = None
    open: bool = False
    read_only: bool = False  # --read-only: everyone is a reader

    def role_of(self, given: str) -> str | None:
        """The role a presented token grants (compared in constant time), or None."""
        if given and hmac.compare_digest(given.encode(), self.analyst.encode()):
            return READER if self.read_only else ANALYST
        if given and self.reader and hmac.compare_digest(given.encode(), self.reader.encode()):
            return READER
        return None

    def key_of(self, role: str) -> str:
        """A short fingerprint of the token behind ``role``: a session made with an old token is void."""
        token = self.reader if role == READER and self.reader else self.analyst
        return hashlib.sha256(b"propwatch-session\0" + token.encode()).hexdigest()[:16]

    def session_secret(self) -> str:
        """The cookie signing key, derived from the tokens (sessions survive a restart with the same tokens)."""
        material = f"{self.analyst}\0{self.reader or ''}".encode()
        return hmac.new(material, b"propwatch-session-signing", hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _bearer(conn: HTTPConnection) -> str:
    header = conn.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def identify(conn: HTTPConnection, tokens: Tokens) -> User | None:
    """The user behind a request (Bearer token, then session, then open mode), or None."""
    given = _bearer(conn)
    if given:
        role = tokens.role_of(given)
        return User(role, role, "bearer") if role else None
    session = conn.session
    role = session.get("role")
    if role in ROLES and session.get("key") == tokens.key_of(role):
        return User(str(session.get("user") or role), READER if tokens.read_only else role, "session")
    if tokens.open and not conn.url.path.startswith("/api/"):
        return User("local", READER if tokens.read_only else ANALYST, "open")
    return None


def current_user(request: Request) -> User | None:
    """The user of this request (set by the auth middleware; None only on the public paths)."""
    return request.scope.get("propwatch.user")


def require_writer(request: Request) -> User:
    """The user, when they may write; else a 403 ``read-only`` error."""
    user = current_user(request)
    if user is None:
        raise ApiError(401, "unauthorized", "log in first")
    if not user.can_write:
        raise ApiError(403, "read-only", f"the {user.role} role cannot change anything here")
    return user


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_field(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token (``{{ csrf_field() }}`` in a form)."""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">')


def check_csrf(request: Request, given: str | None) -> None:
    """403 ``csrf`` unless ``given`` is this session's token (a Bearer request needs none)."""
    user = current_user(request)
    if user is not None and user.via == "bearer":
        return
    expected = request.session.get("csrf")
    if not (given and expected and hmac.compare_digest(str(given).encode(), str(expected).encode())):
        raise ApiError(403, "csrf", "the form is stale or came from another site: reload the page and send it again")


def _same_origin(conn: HTTPConnection) -> bool:
    """True unless the browser says the request comes from another origin."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.netloc.lower() == conn.headers.get("host", "").lower() and parts.scheme == conn.url.scheme


class AuthMiddleware:
    """Sets the request's user, or answers: 401 for the API, the login page for a page."""

    def __init__(self, app: ASGIApp, tokens: Tokens):
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = Request(scope)
        path = scope["path"]
        if scope["method"] not in SAFE_METHODS and not _bearer(conn) and not _same_origin(conn):
            await error_response(conn, ApiError(403, "cross-origin", "a request from another site was refused"))(scope, receive, send)
            return
        user = identify(conn, self.tokens)
        scope["propwatch.user"] = user
        if user is None and not path.startswith(PUBLIC_PREFIXES):
            if path.startswith("/api/") or scope["method"] not in ("GET", "HEAD"):
                error = ApiError(401, "unauthorized", "send Authorization: Bearer TOKEN, or log in at /login",
                                 {"WWW-Authenticate": "Bearer"})
                await error_response(conn, error)(scope, receive, send)
                return
            target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            await RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)(scope, receive, send)
            return
        if user is not None and user.via == "open" and not conn.session.get("role"):
            # the local user's browser gets a session too, so the pages' scripts may call the API
            conn.session.update({"user": user.name, "role": user.role, "key": self.tokens.key_of(user.role)})
        await self.app(scope, receive, send)


def _next_path(value: str | None) -> str:
    """Where to go after login: a path on this server only (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def login(request: Request) -> Response:
    """The login page (GET) and the token check (POST) that opens a session."""
    from .app import form_data, render  # app imports this module

    tokens: Tokens = request.app.state.web.tokens
    if request.method == "GET":
        return render(request, "login.html", next=_next_path(request.query_params.get("next")), failed=False)
    form = await form_data(request)
    check_csrf(request, form.get(CSRF_FIELD))
    role = tokens.role_of(str(form.get("token") or "").strip())
    target = _next_path(str(form.get("next") or ""))
    if role is None:
        return render(request, "login.html", status=401, next=target, failed=True)
    name = str(form.get("name") or "").strip()[:80] or role
    request.session.clear()
    request.session.update({"user": name, "role": role, "key": tokens.key_of(role), "csrf": secrets.token_urlsafe(24)})
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    """End the session (POST, with the CSRF token)."""
    from .app import form_data

    form = await form_data(request)
    check_csrf(request, form.get(CSRF_FIELD))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


routes = [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"])]

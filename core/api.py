"""What every JSON API of the platform shares (licenses at /api/v1/, tracking at
/api/tracking/, and the next ones): one layer that refuses hostile input before any
view runs, and the mapping of those refusals to each API's own error envelope.

- `StrictJsonParser`: a body that is not JSON, or not a JSON object, is a 400; text the
  database cannot store (NUL characters, unpaired surrogates) anywhere in the body, the
  query string or a form is a 422 naming the field.
- `PlatformApi`: a NinjaAPI whose subclasses say how an error looks (`error_response`);
  it answers 422 for invalid parameters (path ones included), 413 PAYLOAD_TOO_LARGE for a
  body over the operation's limit, 400 for Django's other refusals of a request.
- `EnvelopeApi`: a PlatformApi whose errors are the shared `envelope()` (licenses, leads,
  notifications...), with a code → status map and handlers for domain errors, rate
  limits (429 + Retry-After), missing authentication (401), 404 and unexpected errors.
- `body_limit(n)`: lets one operation take bodies up to n bytes (attachments); every
  other operation keeps Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default), which
  then also caps multipart uploads (Django itself does not count files against it).

Numbers and dates are bounded by the types in `core.schemas`.
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any, TypeVar

import pydantic
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from .errors import DomainError, RateLimited

logger = logging.getLogger(__name__)

SchemaT = TypeVar("SchemaT", bound=pydantic.BaseModel)

INVALID_REQUEST = "INVALID_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"

# Where a parameter came from, as ninja names it in an error's `loc`, and the names the
# platform gives a view's body parameter: neither belongs in the field name shown to clients.
_LOC_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
_BODY_PARAMS = {"payload"}


# --- text the database cannot store --------------------------------------------------


def _unstorable(text: str) -> str | None:
    """Why PostgreSQL would refuse `text` (None if it would not)."""
    if "\x00" in text:
        return "must not contain NUL (\\u0000) characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain unpaired surrogates"
    return None


def _walk(data: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    # Iterative: a JSON document nested a few hundred levels deep must not overflow
    # Python's stack here either.
    stack = [(data, loc)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if reason := _unstorable(value):
                yield where, reason
        elif isinstance(value, dict):
            for key, item in value.items():
                if reason := _unstorable(key):
                    yield (*where, key), f"key {reason}"
                stack.append((item, (*where, key)))
        elif isinstance(value, list):
            stack.extend((item, (*where, i)) for i, item in enumerate(value))


def _querydict_problems(data, source: str) -> Iterator[tuple[tuple, str]]:
    for key, values in data.lists():
        # A repeated parameter is named by its key alone; file values are not text.
        reasons = (_unstorable(text) for text in (key, *values) if isinstance(text, str))
        if reason := next(filter(None, reasons), None):
            yield (source, key), reason


def _refuse(problems: Iterator[tuple[tuple, str]]) -> None:
    """Raise ninja's ValidationError (→ 422 naming the fields) for text PostgreSQL cannot store."""
    errors = [{"loc": loc, "msg": msg, "type": "string_unstorable"} for loc, msg in problems]
    if errors:
        raise NinjaValidationError(errors)


class StrictJsonParser(Parser):
    """The parser of every platform API: JSON objects only, storable text only."""

    def parse_body(self, request: HttpRequest) -> dict:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise HttpError(400, _("Corps JSON invalide.")) from None
        if not isinstance(data, dict):
            raise HttpError(400, _("Le corps doit être un objet JSON."))
        _refuse(_walk(data, ("body",)))
        return data

    def parse_querydict(self, data, list_fields: list[str], request: HttpRequest) -> dict:
        # Query strings, form fields and uploaded files' field names all come through here.
        source = "query" if data is request.GET else "form"
        _refuse(_querydict_problems(data, source))
        return super().parse_querydict(data, list_fields, request)


def parse_body_as(request: HttpRequest, schema: type[SchemaT]) -> SchemaT:
    """The body validated against `schema`, for the rare view that reads an optional body
    itself; refusals are the same 400/422 as for a declared body parameter."""
    data = StrictJsonParser().parse_body(request)
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise NinjaValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors]) from None


# --- request body size ---------------------------------------------------------------


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        raise HttpError(400, _("En-tête Content-Length invalide.")) from None


def _body_limit(request: HttpRequest) -> int | None:
    return getattr(request, "body_limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def body_limit(max_bytes: int) -> Callable:
    """Let one API operation accept request bodies up to `max_bytes` instead of Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE, e.g. `@body_limit(10 * 1024 * 1024)` under the route
    decorator of an attachment upload. Larger bodies answer 413 PAYLOAD_TOO_LARGE before
    being read."""

    def limited(run: Callable) -> Callable:
        def run_with_limit(request: HttpRequest, *args, **kwargs):
            request.body_limit = max_bytes
            return run(request, *args, **kwargs)

        return run_with_limit

    return decorate_view(limited)


def _enforce_body_limit(request: HttpRequest) -> None:
    limit = _body_limit(request)
    length = _content_length(request)
    if limit is None:
        return
    if length > limit:
        # Refused on the announced size, before reading (Django does the same for its limit,
        # but not for multipart file parts, which this also caps).
        raise RequestDataTooBig(f"Request body exceeded the operation's limit of {limit} bytes.")
    default = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    multipart = request.content_type == "multipart/form-data"
    if default is not None and limit > default and length > default and not multipart:
        # A raised limit: read the body here, within it, because `request.body` would apply
        # Django's global one. (Multipart bodies are streamed by Django, files to disk, and
        # only their plain fields count against the global limit.)
        body = request.read(limit + 1)
        if len(body) > limit:
            raise RequestDataTooBig(f"Request body exceeded the operation's limit of {limit} bytes.")
        request._body, request._stream = body, BytesIO(body)


def _field_name(error: dict) -> str:
    """`email` for ("body", "payload", "email"), `page` for ("query", "page")."""
    loc = [str(part) for part in error.get("loc", ())]
    if loc[:1] and loc[0] in _LOC_SOURCES:
        loc = loc[1:]
    if loc[:1] and loc[0] in _BODY_PARAMS:
        loc = loc[1:]
    return ".".join(loc) or "body"


# --- the API base class ----------------------------------------------------------------


class PlatformApi(NinjaAPI, abc.ABC):
    """Base of the platform's JSON APIs. A subclass defines `error_response()` (its
    documented envelope); the refusals of hostile input are mapped here, once."""

    def __init__(self, **kwargs):
        kwargs.setdefault("parser", StrictJsonParser())
        super().__init__(**kwargs)
        self.add_exception_handler(NinjaValidationError, self._validation_error)
        self.add_exception_handler(HttpError, self._http_error)
        self.add_exception_handler(SuspiciousOperation, self._suspicious_request)
        self.add_exception_handler(UnreadablePostError, self._unreadable_body)
        self.add_exception_handler(MultiPartParserError, self._unreadable_body)

    @abc.abstractmethod
    def error_response(
        self, request: HttpRequest, *, status: int, code: str, message: str, details: dict | None = None
    ) -> HttpResponse:
        """The refusal in this API's own documented envelope."""

    def validation_error_code(self, fields: list[tuple[str, dict]]) -> str:
        """The error code of a 422, given each invalid field's name and pydantic error;
        an API may name some invalid fields more precisely."""
        return INVALID_REQUEST

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # The one hook ninja calls for every operation after authentication and before it
        # reads any parameter, inside its exception handling: path parameters (which no
        # parser sees) and the body size are checked here.
        match = request.resolver_match
        _refuse(_walk(dict(match.kwargs) if match else {}, ("path",)))
        _enforce_body_limit(request)
        return super().create_temporal_response(request)

    # --- handlers

    def _validation_error(self, request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = [(_field_name(error), error) for error in exc.errors]
        details: dict[str, str] = {}
        for name, error in fields:
            details.setdefault(name, error.get("msg", "invalid"))
        return self.error_response(
            request,
            status=422,
            code=self.validation_error_code(fields),
            message=_("Requête invalide."),
            details=details,
        )

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps whatever the parser raises in a generic 400 "Cannot parse request
        # body"; the parser's own refusal (its message, or a 422 naming the field) wins.
        if isinstance(exc.__cause__, HttpError | NinjaValidationError):
            return self.on_exception(request, exc.__cause__)
        return self.error_response(request, status=exc.status_code, code=INVALID_REQUEST, message=str(exc))

    def _suspicious_request(self, request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            limit = _body_limit(request)
            return self.error_response(
                request,
                status=413,
                code=PAYLOAD_TOO_LARGE,
                message=_("Requête trop volumineuse."),
                details={"max_bytes": limit} if limit is not None else {},
            )
        # Too many fields, a malformed multipart body...: Django answers 400 to these
        # outside the API; so does the API, in its envelope.
        logger.info("refused request: %s", exc, extra={"request_id": getattr(request, "request_id", "")})
        return self.error_response(request, status=400, code=INVALID_REQUEST, message=_("Requête invalide."))

    def _unreadable_body(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        # A malformed multipart body, or a client (or proxy) gone while sending it.
        return self.error_response(request, status=400, code=INVALID_REQUEST, message=_("Requête invalide."))


# --- hot paths ------------------------------------------------------------------------


def hot_path(api: NinjaAPI, route: str, fast: Callable[..., HttpResponse | None]) -> Callable[..., HttpResponse]:
    """A view for one route of `api` (`route` as django-ninja writes it: "licenses/validate")
    that answers its most frequent, well-formed requests without django-ninja's
    per-request machinery (parameter models, operation dispatch), which costs about as
    much as the work of the hottest endpoints.

    `fast(request, **kwargs)` answers such a request, or returns None for anything it
    does not recognise as one; the request then goes to django-ninja's own view of the
    route, which answers it exactly as without this (validation errors, 405, 413...).
    What `fast` raises is answered by the API's exception handlers, as in an operation.
    Mount it before the API's URLs, on a pattern that matches only that route."""
    ninja_view: Callable | None = None

    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        nonlocal ninja_view
        try:
            response = fast(request, **kwargs)
        except Exception as exc:
            response = api.on_exception(request, exc)
        if response is not None:
            return response
        if ninja_view is None:
            ninja_view = next(p.callback for p in api.urls[0] if str(p.pattern) == route)
        return ninja_view(request, **kwargs)

    view.csrf_exempt = True  # as django-ninja's views: these APIs take no cookies-based auth
    return view


def json_body_fields(request: HttpRequest, names: frozenset[str]) -> dict[str, str] | None:
    """The body of a hot-path request when it is what the common case looks like: a JSON
    object of text values for these fields only, within Django's body size, storable.
    None otherwise (the request then goes through the full API layer)."""
    if request.content_type != "application/json" or request.GET:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        if limit is not None and int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return None
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if (
        not isinstance(data, dict)
        or data.keys() != names
        or not all(isinstance(value, str) and _unstorable(value) is None for value in data.values())
    ):
        return None
    return data


# --- the shared error envelope ---------------------------------------------------------


def envelope(request: HttpRequest, code: str, message: str, status: int, details: dict | None = None, **extra):
    """The platform's JSON error body (licenses at /api/v1/, leads, notifications...):
    `{"success": false, "error": CODE, "message", "details", "timestamp", "request_id"}`
    and any top-level field the API's contract adds; Retry-After from `retry_after`."""
    body = {
        "success": False,
        "error": code,
        "message": message,
        "details": details or {},
        "timestamp": timezone.now().isoformat(),
        "request_id": getattr(request, "request_id", ""),
        **extra,
    }
    response = JsonResponse(body, status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


class EnvelopeApi(PlatformApi):
    """A PlatformApi answering every refusal in `envelope()`.

    `STATUS` maps a DomainError's code to its HTTP status (a class attribute, or
    `status=` to the constructor, added to the shared codes below); a code missing there
    answers 400: a refusal is still the client's error, never a 500."""

    STATUS: dict[str, int] = {}
    BASE_STATUS = {"UNAUTHORIZED": 401, "CSRF_FAILED": 403, "FORBIDDEN": 403, "NOT_FOUND": 404}
    unauthorized_message = gettext_lazy("Authentification requise.")
    server_error_log = "API error"

    def __init__(self, *, status: dict[str, int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.status_of = {**self.BASE_STATUS, **self.STATUS, **(status or {})}
        self.add_exception_handler(DomainError, self._domain_error)
        self.add_exception_handler(RateLimited, self._rate_limited)
        self.add_exception_handler(AuthenticationError, self._auth_error)
        self.add_exception_handler(Http404, self._not_found)
        self.add_exception_handler(Exception, self._server_error)

    def error_response(self, request, *, status, code, message, details=None):
        return envelope(request, code, message, status, details)

    def _domain_error(self, request, exc: DomainError):
        return envelope(request, exc.code, exc.message, self.status_of.get(exc.code, 400), exc.details, **exc.extra)

    def _rate_limited(self, request, exc: RateLimited):
        # The documented code, whatever the platform's limiter calls it.
        return envelope(request, "RATE_LIMIT_EXCEEDED", exc.message, 429, exc.details, retry_after=exc.retry_after)

    def _auth_error(self, request, exc):
        return envelope(request, "UNAUTHORIZED", str(self.unauthorized_message), 401)

    def _not_found(self, request, exc):
        return envelope(request, "NOT_FOUND", _("Ressource introuvable."), 404)

    def _server_error(self, request, exc):
        logger.exception(self.server_error_log, extra={"request_id": getattr(request, "request_id", "")})
        return envelope(request, "SERVER_ERROR", _("Erreur interne du serveur."), 500)

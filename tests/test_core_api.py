"""The layer every JSON API shares (core.api, core.schemas): hostile input is refused in
the API's own envelope before any view runs, bodies are limited per operation, and the
HTML forms re-render on the same input instead of failing."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import JsonResponse
from django.urls import path
from ninja import File, Schema, UploadedFile

from core.api import PlatformApi, body_limit
from core.schemas import INT64_MAX, INT64_MIN, Int64, UtcDatetime
from licenses.api import api as licenses_api
from tracking.api import api as tracking_api

MB = 1024 * 1024


class ExampleApi(PlatformApi):
    """A future API with its own envelope, like the leads or support APIs will be."""

    def error_response(self, request, *, status, code, message, details=None):
        return JsonResponse({"code": code, "details": details or {}}, status=status)


example_api = ExampleApi(urls_namespace="example-api")


@example_api.post("/echo")
def echo(request, number: Int64 = 0, when: UtcDatetime | None = None):
    return {"length": len(request.body), "number": number, "when": when.isoformat() if when else None}


class NoteIn(Schema):
    note: str = ""


@example_api.post("/notes")
def notes(request, payload: NoteIn):
    return {"note": payload.note}


@example_api.post("/big")
@body_limit(4 * MB)
def big(request):
    return {"length": len(request.body)}


@example_api.post("/small")
@body_limit(100)
def small(request):
    return {"length": len(request.body)}


@example_api.post("/upload")
def upload(request, file: File[UploadedFile]):
    return {"size": file.size}


@example_api.post("/attachment")
@body_limit(10 * MB)
def attachment(request, file: File[UploadedFile]):
    return {"size": file.size}


urlpatterns = [path("api/example/", example_api.urls)]

pytestmark = pytest.mark.urls(__name__)


def post_json(client, url, raw):
    return client.post(url, raw, content_type="application/json")


# --- the parser ----------------------------------------------------------------------


def test_malformed_json_and_non_objects_are_400s_in_the_apis_envelope(client):
    assert post_json(client, "/api/example/notes", "{oops").json() == {"code": "INVALID_REQUEST", "details": {}}
    assert post_json(client, "/api/example/notes", "[1, 2]").status_code == 400
    assert post_json(client, "/api/example/notes", "[" * 100_000).status_code == 400


def test_nul_characters_in_a_body_are_a_422_naming_the_field(client):
    response = post_json(client, "/api/example/notes", json.dumps({"note": "a\x00b"}))

    assert response.status_code == 422
    assert response.json() == {
        "code": "INVALID_REQUEST",
        "details": {"note": "must not contain NUL (\\u0000) characters"},
    }


def test_nul_characters_in_the_query_string_are_a_422_naming_the_parameter(client):
    response = client.post("/api/example/echo?number=1&note=a%00b")

    assert response.status_code == 422
    assert list(response.json()["details"]) == ["note"]


def test_too_many_query_parameters_or_a_broken_multipart_body_are_400s(client):
    many = "&".join(f"p{i}=1" for i in range(1001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000
    broken = client.post("/api/example/upload", b"--nope", content_type="multipart/form-data; boundary=")

    assert client.post(f"/api/example/echo?{many}").json() == {"code": "INVALID_REQUEST", "details": {}}
    assert (broken.status_code, broken.json()) == (400, {"code": "INVALID_REQUEST", "details": {}})


def test_an_integer_beyond_64_bits_in_a_query_parameter_is_a_422(client):
    response = client.post(f"/api/example/echo?number={2**63}")

    assert response.status_code == 422
    assert list(response.json()["details"]) == ["number"]
    assert client.post(f"/api/example/echo?number={INT64_MIN}").json()["number"] == INT64_MIN


def test_a_datetime_without_offset_is_read_in_the_platform_time_zone_and_returned_in_utc(client, settings):
    settings.TIME_ZONE = "Asia/Tokyo"

    response = client.post("/api/example/echo?when=2030-06-01T12:00:00")

    assert response.json()["when"] == "2030-06-01T03:00:00+00:00"


# --- body limits ---------------------------------------------------------------------


def test_an_operation_can_raise_its_body_limit_above_the_default(client):
    raw = json.dumps({"blob": "x" * (3 * MB)})  # over Django's 2.5 MB

    assert post_json(client, "/api/example/big", raw).json() == {"length": len(raw)}
    assert post_json(client, "/api/example/echo", raw).status_code == 413


def test_a_body_over_an_operations_limit_is_a_413_naming_the_limit(client):
    response = post_json(client, "/api/example/big", "x" * (4 * MB + 1))

    assert response.status_code == 413
    assert response.json() == {"code": "PAYLOAD_TOO_LARGE", "details": {"max_bytes": 4 * MB}}


def test_an_operation_can_lower_its_body_limit(client):
    assert post_json(client, "/api/example/small", "x" * 100).status_code == 200
    assert post_json(client, "/api/example/small", "x" * 101).status_code == 413


def test_uploaded_files_count_against_the_default_limit_too(client):
    # Django itself only counts a multipart body's plain fields against its limit.
    response = client.post("/api/example/upload", {"file": SimpleUploadedFile("a.pdf", b"x" * (3 * MB))})

    assert response.status_code == 413


def test_an_attachment_route_accepts_files_up_to_its_own_limit(client):
    accepted = client.post("/api/example/attachment", {"file": SimpleUploadedFile("a.pdf", b"x" * (9 * MB))})
    refused = client.post("/api/example/attachment", {"file": SimpleUploadedFile("a.pdf", b"x" * (11 * MB))})

    assert accepted.json() == {"size": 9 * MB}
    assert refused.status_code == 413


# --- every API uses the layer --------------------------------------------------------


@pytest.mark.parametrize("api", [licenses_api, tracking_api], ids=["licenses", "tracking"])
def test_every_api_is_a_platform_api(api):
    assert isinstance(api, PlatformApi)


def _integers_clients_send(schema: dict) -> dict[str, dict]:
    """Every integer in the parameters and request bodies of an OpenAPI schema, by location."""
    components = schema.get("components", {}).get("schemas", {})
    found = {}

    def walk(node, where, seen):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref not in seen:
                walk(components[ref.rsplit("/", 1)[1]], f"{where}->{ref}", seen | {ref})
            if node.get("type") == "integer":
                found[where] = node
            for key, value in node.items():
                walk(value, f"{where}/{key}", seen)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}", seen)

    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter, f"{method.upper()} {route} {parameter['name']}", frozenset())
            walk(operation.get("requestBody", {}), f"{method.upper()} {route} body", frozenset())
    return found


@pytest.mark.urls("config.urls")
@pytest.mark.parametrize("api", [licenses_api, tracking_api], ids=["licenses", "tracking"])
def test_every_integer_an_api_accepts_fits_a_64_bit_column(api):
    """A new field or parameter typed plain `int` fails here: use core.schemas' Int64
    (or Page, PageSize, or bounds of its own)."""
    integers = _integers_clients_send(api.get_openapi_schema())

    unbounded = [
        where
        for where, node in integers.items()
        if not (node.get("minimum", INT64_MIN - 1) >= INT64_MIN and node.get("maximum", INT64_MAX + 1) <= INT64_MAX)
    ]

    assert unbounded == []
    if api is licenses_api:
        # The walk does find them: page and page_size in the query, count and duration_days in a body.
        assert {"page", "page_size", "count", "duration_days"} <= set(re.split(r"[ /]", " ".join(integers)))


@pytest.mark.django_db
@pytest.mark.urls("config.urls")
def test_the_tracking_api_refuses_a_nul_character_in_its_own_envelope(client):
    response = client.get("/api/tracking/AB%00CD")

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_request",
        "message": "Requête invalide.",
        "details": {"number": "must not contain NUL (\\u0000) characters"},
    }


# --- HTML forms ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("config.urls")
@pytest.mark.parametrize(
    "url, fields",
    [
        ("/revisions/", ["client_name", "vehicle_make", "problem_description", "mileage", "preferred_date"]),
        ("/locations/", ["client_name", "pickup_place", "vehicle", "start_date"]),
    ],
)
def test_a_form_with_nul_characters_is_shown_again_with_errors_not_a_500(client, url, fields):
    response = client.post(url, {field: f"x\x00{field}" for field in fields})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    for field in fields:
        assert field in response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.urls("config.urls")
def test_a_tracking_lookup_with_a_nul_character_is_not_found_not_a_500(client):
    assert client.get("/tracking/", {"number": "AB\x00CD"}).status_code == 404
    assert client.get("/tracking/AB%00CD/").status_code == 404

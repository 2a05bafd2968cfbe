"""The passerelle API (django-ninja), mounted at /api/: OpenAPI at /api/openapi.json and
the docs page at /api/docs, made from it in the platform's own template (`api_docs.py`; it
replaced Swagger UI, whose page missed the accessibility bar: issue 22). Endpoints live with
their app (`apps/directory/api.py`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from passerelle.web.api_docs import PlatformDocs
from passerelle.web.apps.directory.api import router as directory_router
from passerelle.web.apps.people.api import router as people_router
from passerelle.web.common.api import ApiError


def _package_version() -> str:
    try:
        return version("passerelle")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


api = NinjaAPI(
    title="passerelle",
    version=_package_version(),
    description=(
        "The Brussels directory of services for newcomers looking for work, as Open Referral "
        "HSDS 3.0 (read-only, public), and the rules engine's answer to “what can I do?”. "
        "See docs/hsds.md. Under /api/v1/persons, organisations' own systems read and write "
        "the person files they hold, with a token (docs/people.md)."
    ),
    docs=PlatformDocs(),
    urls_namespace="api",
)
api.add_router("", directory_router)
api.add_router("/v1", people_router)
api.add_router("/v1", "passerelle.web.apps.referrals.api.router")
api.add_router("/v1", "passerelle.web.apps.matching.api.router")
api.add_router("/v1", "passerelle.web.apps.beneficiaries.api.router")
api.add_router("/v1", "passerelle.web.apps.followups.api.router")


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with one item per problem, each naming its field in `loc` and in `msg`."""
    return api.create_response(
        request, {"detail": [_error_item(error) for error in exc.errors]}, status=422
    )


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    detail = [
        {"loc": [field], "msg": f"{field}: {message}", "type": "invalid"}
        for field, message in exc.errors.items()
    ]
    return api.create_response(request, {"detail": detail}, status=exc.status)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja's own errors (an unreadable body, say): in the shape of the API's other
    errors (a list of problems, each naming its field), except in HSDS, whose 404 is one
    message (docs/hsds.md)."""
    if request.path.startswith(reverse("api:hsds_root")):
        return api.create_response(request, {"detail": exc.message}, status=exc.status_code)
    field = "body" if "body" in exc.message else "request"
    detail = {"loc": [field], "msg": f"{field}: {exc.message}", "type": "invalid"}
    return api.create_response(request, {"detail": [detail]}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = {
        "loc": ["header", "Authorization"],
        "msg": "Authorization: give an organisation's API token as 'Bearer <token>'",
        "type": "unauthorized",
    }
    return api.create_response(request, {"detail": [detail]}, status=401)


def _error_item(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    if len(loc) > 2 and loc[0] == "body" and loc[1] == "payload":
        loc = [loc[0], *loc[2:]]  # the body is one object: name its fields, not the parameter
    field = (".".join(loc[1:]) or loc[0]) if loc else "request"
    # pydantic prefixes the message of a validator's ValueError; the reader needs the message
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return {"loc": loc, "msg": f"{field}: {message}", "type": str(error.get("type", ""))}


urlpatterns = api.urls[0]
app_name = "api"
"""`path("api/", include("passerelle.web.api"))` mounts the API with its namespace."""

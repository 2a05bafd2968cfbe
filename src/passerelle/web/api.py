"""The passerelle API (django-ninja), mounted at /api/: OpenAPI at /api/openapi.json and
browsable docs at /api/docs.

The docs page loads nothing from another host: Swagger UI's files come from the copy
django-ninja ships (ninja/static/ninja), served here, and Swagger UI's online validator badge
is switched off. Endpoints live with their app (`apps/directory/api.py`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, json_script
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from passerelle.web.apps.directory.api import router as directory_router
from passerelle.web.apps.people.api import router as people_router
from passerelle.web.common.api import ApiError

NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-init.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
"""Files of Swagger UI that the docs page uses, as shipped with django-ninja."""


def _package_version() -> str:
    try:
        return version("passerelle")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


class LocalSwagger(DocsBase):
    """Swagger UI from this server only (django-ninja falls back to a CDN when "ninja" is
    not in INSTALLED_APPS)."""

    settings: ClassVar[dict[str, Any]] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,  # the default badge loads an image from validator.swagger.io
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}

        def asset(name: str) -> str:
            url = reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": name})
            return f"{url}?v={ninja.__version__}"

        html = format_html(
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>{title}</title>\n"
            '<link rel="stylesheet" href="{css}">\n'
            '<link rel="icon" href="{icon}" type="image/svg+xml">\n'
            "</head>\n<body>\n{settings}\n"
            '<div id="swagger-ui"></div>\n'
            '<script src="{bundle}"></script>\n'
            '<script src="{init}"></script>\n'
            "</body>\n</html>\n",
            title=f"{api.title} {api.version}",
            css=asset("swagger-ui.css"),
            icon=asset("favicon.svg"),
            settings=json_script(settings, "swagger-settings"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(html)


api = NinjaAPI(
    title="passerelle",
    version=_package_version(),
    description=(
        "The Brussels directory of services for newcomers looking for work, as Open Referral "
        "HSDS 3.0 (read-only, public), and the rules engine's answer to “what can I do?”. "
        "See docs/hsds.md. Under /api/v1/persons, organisations' own systems read and write "
        "the person files they hold, with a token (docs/people.md)."
    ),
    docs=LocalSwagger(),
    urls_namespace="api",
)
api.add_router("", directory_router)
api.add_router("/v1", people_router)
api.add_router("/v1", "passerelle.web.apps.referrals.api.router")
api.add_router("/v1", "passerelle.web.apps.matching.api.router")
api.add_router("/v1", "passerelle.web.apps.beneficiaries.api.router")


@api.get("/docs/assets/{name}", include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    content_type = DOCS_ASSETS.get(name)
    if content_type is None:
        raise Http404(name)
    response = FileResponse((NINJA_STATIC / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=604800"
    return response


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

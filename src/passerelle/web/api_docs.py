"""The API's documentation page (/api/docs) in the platform's own template: the base layout
with its landmarks, language switcher and right-to-left, the site's contrast and focus, no
script. It is made from the OpenAPI document itself, so it cannot drift from the API; the
endpoints' descriptions are in English (marked `lang="en"` on other pages). The OpenAPI
document at /api/openapi.json is what client generators and API explorers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    kind: str
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Parameter] = field(default_factory=list)
    body: str = ""
    token: bool = False


@dataclass(frozen=True)
class Group:
    name: str
    anchor: str
    operations: list[Operation]


def _kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_kind(part) for part in schema["anyOf"])
    kind = str(schema.get("type", ""))
    if kind == "array":
        return f"{_kind(schema.get('items', {}))}[]"
    if schema.get("enum"):
        return " | ".join(str(value) for value in schema["enum"])
    return kind + (f" ({schema['format']})" if schema.get("format") else "")


def _anchor(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text.lower()).strip("-")


def api_groups(schema: dict[str, Any]) -> list[Group]:
    """The OpenAPI document's operations grouped by their first tag, in the document's order."""
    groups: dict[str, list[Operation]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            groups.setdefault((operation.get("tags") or ["api"])[0], []).append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=_anchor(operation.get("operationId") or f"{method}-{path}"),
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    parameters=[
                        Parameter(
                            name=parameter["name"],
                            where=parameter.get("in", ""),
                            required=bool(parameter.get("required")),
                            kind=_kind(parameter.get("schema", {})),
                            description=parameter.get("description")
                            or parameter.get("schema", {}).get("description", ""),
                        )
                        for parameter in operation.get("parameters", [])
                    ],
                    body=_kind(body.get("schema", {})) if body else "",
                    token=bool(operation.get("security")),
                )
            )
    return [Group(name, _anchor(f"group-{name}"), items) for name, items in groups.items()]


class PlatformDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        info = schema.get("info", {})
        return render(
            request,
            "api/docs.html",
            {
                "title": info.get("title", ""),
                "version": info.get("version", ""),
                "description": info.get("description", ""),
                "openapi_url": self.get_openapi_url(api, kwargs),
                "groups": api_groups(schema),
            },
        )

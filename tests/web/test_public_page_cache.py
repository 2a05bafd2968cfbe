"""The public pages' cache (directory/page_cache.py): pages served from a cache per language
that an edit of the directory invalidates at once, with ETag and Last-Modified; nothing
personal kept; the finder's POST /api/options computed each time and stored nowhere. A kept
page is answered at the top of the middleware stack (`PublicPageMiddleware`, issue 19) with
the same body, headers and 304 as the whole stack gives, each visitor's own CSRF token and
cookie and language; a logged-in visitor still goes through the whole stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.support.accounts import PASSWORD
from tests.support.page_cache import kept_pages

from passerelle.knowledge.loader import load_knowledge
from passerelle.web.apps.directory import page_cache as pages
from passerelle.web.apps.directory.models import Organisation, Partnership, Programme
from passerelle.web.apps.directory.services import LoadReport, knowledge_load

__all__ = ["kept_pages"]  # the fixture, used by name

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def page_cache(kept_pages: None) -> None:
    """The test settings keep no page (DummyCache): these tests turn a real cache on."""


@pytest.fixture
def programme(loaded_directory: LoadReport, page_cache: None) -> Programme:
    return Programme.objects.filter(in_knowledge=True).order_by("slug").first()  # type: ignore[return-value]


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _without_token_text(body: str) -> str:
    """A page without the one part that differs per request: its CSRF token."""
    return TOKEN.sub("", body)


def _without_token(page: Any) -> str:
    return _without_token_text(page.content.decode())


def _url(programme: Programme) -> str:
    return f"/programmes/{programme.slug}/"


def _kept_keys() -> list[str]:
    return [key for key in cache._cache if "public-pages:" in key and "version" not in key]  # type: ignore[attr-defined]


def test_an_unchanged_page_is_served_without_the_database(programme: Programme) -> None:
    client = Client()
    first = client.get(_url(programme))
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = client.get(_url(programme))
    assert again.status_code == 200
    assert len(queries) == 0
    assert _without_token(again) == _without_token(first)
    assert len(_kept_keys()) == 1


def test_an_edit_shows_on_the_very_next_request(programme: Programme) -> None:
    client = Client()
    assert "Synthetic new name" not in client.get(_url(programme)).content.decode()
    programme.names = {**programme.names, "fr": "Synthetic new name"}
    programme.save()
    assert "Synthetic new name" in client.get(_url(programme)).content.decode()

    search = client.get("/directory/", {"q": "Synthetic new name"})
    assert "Synthetic new name" in search.content.decode()
    organisation = programme.organisation
    organisation.names = {**organisation.names, "fr": "Organisation renamed"}
    organisation.save()
    assert (
        "Organisation renamed"
        in client.get(f"/organisations/{organisation.slug}/").content.decode()
    )
    # A partnership's members change without a save of any page's own row.
    partnership = Partnership.objects.filter(in_knowledge=True).order_by("slug").first()
    assert partnership is not None
    member = partnership.members.order_by("slug").first()
    assert member is not None
    page = f"/organisations/{member.slug}/"
    before = client.get(page).content.decode()
    partnership.members.remove(member)
    assert _without_token(client.get(page)) != _without_token_text(before)


def test_a_knowledge_load_shows_at_once(programme: Programme) -> None:
    client = Client()
    assert client.get(_url(programme)).status_code == 200
    # The load retires records with queryset updates, which send no signal: one such
    # update goes unseen (the kept page is served)...
    Programme.objects.filter(pk=programme.pk).update(names={"fr": "Synthetic reloaded"})
    assert "Synthetic reloaded" not in client.get(_url(programme)).content.decode()
    # ...until the load, which says it changed the directory.
    knowledge_load(knowledge=load_knowledge())
    assert "Synthetic reloaded" in client.get(_url(programme)).content.decode()


def test_validators_give_304_until_the_page_changes(programme: Programme) -> None:
    client = Client()
    first = client.get(_url(programme))
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    assert "Accept-Language" in first["Vary"]
    with CaptureQueriesContext(connection) as queries:
        unchanged = client.get(_url(programme), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert len(queries) == 0
    assert client.get(_url(programme), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    programme.capacity = (
        {"places": 12, "per": "year"}
        if isinstance(programme.capacity, dict)
        else programme.capacity
    )
    programme.save()
    changed = client.get(_url(programme), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_each_language_has_its_own_page_and_validator(programme: Programme) -> None:
    pages = {
        language: Client(HTTP_ACCEPT_LANGUAGE=language).get(_url(programme))
        for language in ("fr", "nl", "ar")
    }
    assert {page["Content-Language"] for page in pages.values()} == {"fr", "nl", "ar"}
    assert len({_without_token(page) for page in pages.values()}) == 3
    assert len({page["ETag"] for page in pages.values()}) == 3
    assert 'lang="ar" dir="rtl"' in pages["ar"].content.decode()
    # The French validator does not make a Dutch request answer 304.
    dutch = Client(HTTP_ACCEPT_LANGUAGE="nl").get(
        _url(programme), HTTP_IF_NONE_MATCH=pages["fr"]["ETag"]
    )
    assert dutch.status_code == 200
    assert _without_token(dutch) == _without_token(pages["nl"])


def _token(page: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found is not None
    return found.group(1)


def test_each_visitor_gets_a_csrf_token_of_their_own(programme: Programme) -> None:
    visitors = [Client(enforce_csrf_checks=True) for _ in range(2)]
    pages = [visitor.get(_url(programme)) for visitor in visitors]
    tokens = [_token(page) for page in pages]
    assert tokens[0] != tokens[1]
    assert "csrf-placeholder" not in pages[1].content.decode()
    # The language switcher on a kept page works for each visitor, with their own token.
    for visitor, token in zip(visitors, tokens, strict=True):
        switched = visitor.post(
            "/i18n/setlang/", {"language": "nl", "next": "/", "csrfmiddlewaretoken": token}
        )
        assert switched.status_code == 302


def test_a_logged_in_page_is_neither_kept_nor_served_to_others(
    programme: Programme, django_user_model: type[User]
) -> None:
    django_user_model.objects.create_user(username="synthetic-staff", password=PASSWORD)
    staff = Client()
    assert staff.login(username="synthetic-staff", password=PASSWORD)
    own = staff.get(_url(programme))
    assert "synthetic-staff" in own.content.decode()
    assert own["Cache-Control"] == "private, no-cache"
    assert not own.has_header("ETag")
    assert _kept_keys() == []
    anonymous = Client().get(_url(programme))
    assert "synthetic-staff" not in anonymous.content.decode()
    assert "Log out" not in anonymous.content.decode()


def test_the_finder_answer_is_computed_each_time_and_stored_nowhere(
    programme: Programme,
) -> None:
    profile = json.loads((EXAMPLES / "profile-asylum-seeker.json").read_text(encoding="utf-8"))
    entries_before = dict(cache._cache)  # type: ignore[attr-defined]
    answers = [
        Client().post(
            "/api/options", {"profile": profile, "on": on}, content_type="application/json"
        )
        for on in ("2018-06-01", "2018-06-01", "2019-06-01")
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(answer["Cache-Control"] == "no-store" for answer in answers)
    assert not any(answer.has_header("ETag") for answer in answers)
    assert answers[0].json() == answers[1].json() != answers[2].json()
    assert dict(cache._cache) == entries_before  # type: ignore[attr-defined]


def test_a_missing_page_is_not_kept(page_cache: None, loaded_directory: LoadReport) -> None:
    assert Client().get("/programmes/no-such-programme/").status_code == 404
    assert _kept_keys() == []
    assert Organisation.objects.exists()


def test_pages_rendered_ahead_are_cache_hits_at_the_first_visit(programme: Programme) -> None:
    url = _url(programme)
    statuses = pages.pages_render(paths=[url], languages=("fr", "nl"))
    assert statuses == {"200": 2}
    assert len(_kept_keys()) == 2
    for language, word in (("nl", 'lang="nl"'), ("fr", 'lang="fr"')):
        with CaptureQueriesContext(connection) as queries:
            first = Client().get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert first.status_code == 200
        assert len(queries) == 0  # nothing rendered: the visitor's first request is a hit
        assert word in first.content.decode()
    assert len(_kept_keys()) == 2
    # the kept page carries the visitor's own token, not the renderer's placeholder
    assert pages.CSRF_PLACEHOLDER not in first.content.decode()


def test_the_pages_rendered_ahead_are_every_published_page(programme: Programme) -> None:
    paths = pages.prerender_paths()
    assert paths[:3] == ["/", "/directory/", "/calendar/"]
    assert _url(programme) in paths
    assert f"/organisations/{programme.organisation.slug}/" in paths
    published = Programme.objects.filter(in_knowledge=True, organisation__is_demo=False)
    assert sum(path.startswith("/programmes/") for path in paths) == published.count()


def test_a_knowledge_load_queues_the_rendering_after_its_commit(
    programme: Programme,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.PASSERELLE_TASK_BACKEND = "database"
    settings.PUBLIC_PAGES_PRERENDER_LANGUAGES = ("fr", "ar")
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_load(knowledge=load_knowledge())
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("page_cache.public_pages_render")
    monkeypatch.setattr(pages, "prerender_paths", lambda: [_url(programme)])
    assert pages.public_pages_render.call() == {"200": 2}
    assert len(_kept_keys()) == 2
    settings.PUBLIC_PAGES_PRERENDER = False
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_load(knowledge=load_knowledge())
    assert DBTaskResult.objects.count() == 1  # turned off: nothing more queued


# --- kept pages answered early (PublicPageMiddleware) ------------------------------------

PER_REQUEST = {"X-Request-ID"}


def _early_keys() -> list[str]:
    """The kept pages whose entry holds the headers too (what the middleware answers)."""
    return [key for key in _kept_keys() if len(cache.get(key.removeprefix(":1:"))) == 3]


def _forget_early_pages() -> None:
    for key in _early_keys():
        name = key.removeprefix(":1:")  # locmem's keys carry the version
        cache.set(name, cache.get(name)[:2])


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_REQUEST}


def _cookie(response: Any) -> dict[str, Any]:
    morsel = response.cookies["csrftoken"]
    return {key: morsel[key] for key in ("path", "samesite", "secure", "httponly", "max-age")}


def stack_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, a request that reaches the view's page cache fails the test."""

    def reached(_request: Any) -> bool:
        raise AssertionError("the request went through the whole stack")

    monkeypatch.setattr(pages, "_cacheable", reached)


def test_a_kept_page_is_answered_early_with_the_stack_s_headers_and_body(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_stack = Client(HTTP_ACCEPT_LANGUAGE="nl").get(_url(programme))
    assert through_stack.status_code == 200
    assert len(_early_keys()) == 1
    stack_bypassed(monkeypatch)
    early = Client(HTTP_ACCEPT_LANGUAGE="nl").get(_url(programme))
    assert early.status_code == 200
    assert _headers(early) == _headers(through_stack)
    assert early["Content-Language"] == "nl"
    assert early.has_header("Content-Security-Policy")
    assert early["X-Frame-Options"] == through_stack["X-Frame-Options"]
    assert early["X-Request-ID"] != through_stack["X-Request-ID"]
    assert _without_token(early) == _without_token(through_stack)
    assert _token(early) != _token(through_stack)
    assert _cookie(early) == _cookie(through_stack)
    assert int(early["Content-Length"]) == len(early.content)


def test_the_early_304_equals_the_stack_s(programme: Programme) -> None:
    first = Client().get(_url(programme))
    etag = first["ETag"]
    _forget_early_pages()
    through_stack = Client().get(_url(programme), HTTP_IF_NONE_MATCH=etag)
    assert through_stack.status_code == 304
    assert _early_keys() == []  # a 304 keeps nothing
    Client().get(_url(programme))
    early = Client().get(_url(programme), HTTP_IF_NONE_MATCH=etag)
    assert early.status_code == 304
    assert early.content == b""
    assert _headers(early) == _headers(through_stack)


def test_the_csrf_token_of_an_early_page_works_and_a_known_visitor_keeps_their_cookie(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    Client().get(_url(programme))
    stack_bypassed(monkeypatch)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(_url(programme))
    cookie = visitor.cookies["csrftoken"].value
    again = visitor.get(_url(programme))
    # the secret it has is kept (sent again to renew its expiry, as Django's middleware does)
    assert again.cookies["csrftoken"].value == cookie
    monkeypatch.undo()  # the language switcher is a form handled by the stack
    switched = visitor.post(
        "/i18n/setlang/", {"language": "nl", "next": "/", "csrfmiddlewaretoken": _token(page)}
    )
    assert switched.status_code == 302
    forbidden = visitor.post(
        "/i18n/setlang/", {"language": "nl", "next": "/", "csrfmiddlewaretoken": "x" * 64}
    )
    assert forbidden.status_code == 403


def test_the_chosen_language_is_kept_apart_and_a_logged_in_visitor_is_not_served_early(
    programme: Programme, monkeypatch: pytest.MonkeyPatch, admin_client: Client
) -> None:
    for language in ("fr", "ar"):
        Client(HTTP_ACCEPT_LANGUAGE=language).get(_url(programme))
    stack_bypassed(monkeypatch)
    chooser = Client(HTTP_ACCEPT_LANGUAGE="fr")
    chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    page = chooser.get(_url(programme))
    assert page["Content-Language"] == "ar"
    assert 'lang="ar" dir="rtl"' in page.content.decode()
    with pytest.raises(AssertionError, match="whole stack"):
        admin_client.get(_url(programme))


def test_a_page_whose_policy_carries_a_nonce_is_kept_without_its_headers(
    page_cache: None,
) -> None:
    """A nonce is per request: replaying the policy would break the page's scripts."""
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    answered: list[str] = []

    def stack(request: HttpRequest) -> HttpResponse:
        answered.append(request.path)
        kept = ("<p>page</p>", "text/html; charset=utf-8")
        request.META[pages._SERVED] = (request.META[pages._EARLY], kept)
        response = HttpResponse(kept[0])
        response["Content-Security-Policy"] = "script-src 'nonce-per-request'"
        return response

    middleware = pages.PublicPageMiddleware(stack)
    for _visit in range(2):
        middleware(RequestFactory().get("/programmes/with-a-script/"))
    assert [len(cache.get(key.removeprefix(":1:"))) for key in _kept_keys()] == [2]
    assert len(answered) == 2  # the second visit went through the stack too

"""The analysts' scenario pages: who may open them, the list and a comparison in French and
Arabic, charts, tables and their CSV, the cache. Small synthetic sizes (2 000 agents, 3
replications); every agent is synthetic."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils.html import escape
from tests.support.accounts import logged_in

from passerelle.core.charts import nice_ticks
from passerelle.core.simulation.config import load_scenario, scenario_names
from passerelle.web.apps.scenarios import services, views

SCENARIO = "third-bapa"


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> Client:
    return logged_in(make_user("analyst", platform_role="analyst"))


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/analysis/scenarios/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_caseworker_is_refused(make_user: Callable[..., User], small_sizes: Path) -> None:
    client = logged_in(make_user("cw", "caseworker"))
    assert client.get("/analysis/scenarios/").status_code == 403
    assert client.get(f"/analysis/scenarios/{SCENARIO}/").status_code == 403
    assert client.get(f"/analysis/scenarios/{SCENARIO}/employment_rate.csv").status_code == 403


def test_coordinator_with_second_factor_may_see(
    make_user: Callable[..., User], small_sizes: Path
) -> None:
    client = logged_in(make_user("co", "coordinator"))
    assert client.get("/analysis/scenarios/").status_code == 200


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("ar", "rtl")])
def test_list_in_french_and_arabic(
    analyst: Client, small_sizes: Path, language: str, direction: str
) -> None:
    response = analyst.get("/analysis/scenarios/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in page
    for name in scenario_names():
        assert f'href="/analysis/scenarios/{name}/"' in page
    # Titles and descriptions in the visitor's language, from the scenario's YAML.
    title = load_scenario(SCENARIO).translations[language].title
    assert f">{escape(title)}</a>" in page


def test_english_marked_where_a_scenario_has_no_translation(
    analyst: Client, small_sizes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = load_scenario(SCENARIO)
    only_french = shipped.model_copy(update={"translations": {"fr": shipped.translations["fr"]}})
    monkeypatch.setattr(views, "shipped_scenarios", lambda: [only_french])
    page = analyst.get("/analysis/scenarios/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<span lang="en" dir="ltr">A third BAPA from 2016</span>' in page
    # Visible to readers, out of the link's accessible name (the `lang` names the language).
    assert '<span class="lang-marker" aria-hidden="true">EN</span>' in page
    page = analyst.get("/analysis/scenarios/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">Un troisième BAPA dès 2016</a>" in page
    assert "lang-marker" not in page


class _Tables(HTMLParser):
    """The monthly tables of a page: indicator -> rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("data-indicator"):
            self._current = attributes["data-indicator"]
            self.tables[self._current or ""] = []
        elif tag == "tbody" and self._current:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._current:
            self.tables[self._current].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _english_number(text: str) -> float | None:
    return None if text == "–" else float(text.replace(",", ""))


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("ar", "rtl")])
def test_comparison_in_french_and_arabic(
    analyst: Client, small_sizes: Path, language: str, direction: str
) -> None:
    response = analyst.get(f"/analysis/scenarios/{SCENARIO}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in page
    # Two charts per indicator (levels with bands, difference), drawn on the server.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 8
    assert page.count('class="band band-scenario"') >= 4
    assert page.count('class="mean mean-difference"') >= 4
    assert "<script" not in page
    for indicator in services.INDICATORS:
        assert f'href="/analysis/scenarios/{SCENARIO}/{indicator}.csv"' in page
    # The calibration error is stated.
    assert 'id="calibration"' in page
    assert re.search(r"\d[.,]\d", page.split('id="calibration"')[1])


def test_csv_matches_the_table(analyst: Client, small_sizes: Path) -> None:
    page = analyst.get(f"/analysis/scenarios/{SCENARIO}/", HTTP_ACCEPT_LANGUAGE="en")
    parser = _Tables()
    parser.feed(page.content.decode())
    assert set(parser.tables) == set(services.INDICATORS)
    for indicator in services.INDICATORS:
        response = analyst.get(f"/analysis/scenarios/{SCENARIO}/{indicator}.csv")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["month", *services.COLUMNS]
        table = parser.tables[indicator]
        assert len(rows) - 1 == len(table) == 168
        for csv_row, html_row in zip(rows[1:], table, strict=True):
            assert csv_row[0] == html_row[0]
            from_csv = [None if cell == "" else float(cell) for cell in csv_row[1:]]
            assert from_csv == [_english_number(cell) for cell in html_row[1:]]
    # Known truth: the third BAPA changes nothing before 2016, so the difference is zero.
    rows = list(
        csv.reader(
            io.StringIO(
                analyst.get(f"/analysis/scenarios/{SCENARIO}/people_waiting.csv").content.decode()
            )
        )
    )
    before = [row for row in rows[1:] if row[0] < "2016-01"]
    assert before
    assert all(float(row[7] or 0) == 0 for row in before)
    assert any(float(row[7] or 0) != 0 for row in rows[1:] if row[0] >= "2016-01")


def test_unknown_scenario_and_indicator_give_404(analyst: Client, small_sizes: Path) -> None:
    assert analyst.get("/analysis/scenarios/no-such-scenario/").status_code == 404
    assert analyst.get("/analysis/scenarios/baseline/").status_code == 404
    assert analyst.get("/analysis/scenarios/no-such-scenario/employed.csv").status_code == 404
    assert analyst.get(f"/analysis/scenarios/{SCENARIO}/present.csv").status_code == 404


def test_second_view_reads_the_cache(analyst: Client, small_sizes: Path) -> None:
    scenario = services.scenario_by_name("mentoring-doubled")
    sizes = services.sizes_from_settings()
    assert sizes.persons == 2000
    assert not services.is_cached(scenario, sizes)
    analyst.get("/analysis/scenarios/mentoring-doubled/")
    assert services.is_cached(scenario, sizes)
    started = time.perf_counter()
    first = services.comparison(scenario)
    assert time.perf_counter() - started < 0.5
    assert first.series == services.compute(scenario, sizes).series


def test_nice_ticks_cover_the_range() -> None:
    for low, high in [(0, 37.2), (-3.1, 0.4), (0, 1), (0, 5140), (2.0, 2.0)]:
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low
        assert ticks[-1] >= high
        assert 2 <= len(ticks) <= 12


def test_a_change_of_sizes_computes_again_and_drops_the_old_result(tmp_path: Path) -> None:
    scenario = services.scenario_by_name("mentoring-doubled")
    with override_settings(SCENARIO_CACHE_DIR=str(tmp_path)):
        small = services.Sizes(persons=1000, replications=1, seed=1, months=None)
        other = services.Sizes(persons=1000, replications=2, seed=1, months=None)
        services.comparison(scenario, small)
        assert services.is_cached(scenario, small)
        assert services.comparison(scenario, other).sizes == other
        assert services.is_cached(scenario, other)
        assert not services.is_cached(scenario, small)
        assert len(list(tmp_path.glob("*.json"))) == 1


def test_the_comparison_marks_the_assumptions(analyst: Client, small_sizes: Path) -> None:
    page = analyst.get(
        f"/analysis/scenarios/{SCENARIO}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    table = page.split('data-table="assumptions"')[1].split("</table>")[0]
    rows = re.findall(
        r"<tr(?: class=\"assumption\")?><th scope=\"row\"><code>([^<]+)</code>", table
    )
    flagged = set(re.findall(r'<tr class="assumption"><th scope="row"><code>([^<]+)</code>', table))
    assert "programmes.duo.informal_age_between" in flagged
    assert "programmes.placements.per_year" in flagged
    assert "calibrated.base_hazard" in rows
    assert "calibrated.base_hazard" not in flagged
    assert "programmes.bapa.share_for_newcomers" not in flagged  # BAPA VIA 2017, §13

"""The analysts' pages: who may open them, what they show (aggregates with their counts,
small cells withheld, SVG charts), in French and in Arabic (right to left), and the CSV and
PDF downloads, on a small synthetic cohort with known figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import Client
from pypdf import PdfReader
from tests.support.html import tables

from passerelle.core.evaluation.synthetic import MENTORING
from passerelle.core.indicators import funder_report, parse_period
from passerelle.web.apps.monitoring import data

PAGES = ("/analysis/", "/analysis/evaluation/", "/analysis/report/")


def _rows(response: object) -> list[dict[str, str]]:
    content = response.content.decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(content)))


@pytest.mark.parametrize(
    "path", [*PAGES, "/analysis/csv/cohorts.csv", "/analysis/report.pdf", "/analysis/report.xlsx"]
)
def test_anonymous_is_sent_to_login(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize("path", [*PAGES, "/analysis/csv/flows.csv"])
def test_caseworker_is_refused(
    make_user: Callable[..., User], login: Callable[[User], Client], path: str
) -> None:
    client = login(make_user("worker", "caseworker"))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "org_admin"])
def test_coordinators_see_the_dashboard(
    make_user: Callable[..., User], login: Callable[[User], Client], role: str
) -> None:
    client = login(make_user(role, role))
    assert client.get("/analysis/").status_code == 200


def test_dashboard_in_french(analyst: Client) -> None:
    analyst.cookies["passerelle_language"] = "fr"
    response = analyst.get("/analysis/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="fr" dir="ltr"' in page
    assert page.count("<svg") == 4
    roots = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart"[^>]*>', page)
    assert len(roots) == 4
    assert all('direction="ltr"' in root for root in roots)
    assert 'class="synthetic"' in page
    for key in ("cohorts", "first_job", "outcomes", "flows"):
        assert f"/analysis/csv/{key}.csv" in page
    assert response["Cache-Control"] == "no-store"
    # The 2010 cohort on 31 December 2011 as counted here from the cohort's own rows (not
    # by the indicators engine); the page shows each count perturbed by at most 2.
    employed, persons = _cohort_counted(2010, dt.date(2011, 12, 31))
    (row,) = [
        row
        for table in tables(page)
        for row in table.rows
        if len(row.cells) == 6 and row.cells[:2] == ["2010", "2011"]
    ]
    assert abs(_number(row.cells[3]) - employed) <= 2
    assert abs(_number(row.cells[4]) - persons) <= 2


def _number(cell: str) -> int:
    """A count as the page writes it (grouped digits in French)."""
    return int("".join(character for character in cell if character.isdigit()))


def _cohort_counted(cohort: int, on: dt.date) -> tuple[int, int]:
    """Employed, and persons aged 18 to 64, on `on` among the refugees and subsidiary
    protection holders registered in `cohort`, counted person by person from the frames the
    pages read (docs/indicators.md: employed = the last job event on or before the day is a
    start)."""
    frames = data.frames()
    last_job: dict[int, tuple[dt.date, str]] = {}
    for event in frames.events.iter_rows(named=True):
        if event["kind"] in ("job_start", "job_end") and event["date"] <= on:
            key = (event["date"], event["kind"])  # on one day a start follows an end
            last_job[event["person_id"]] = max(last_job.get(event["person_id"], key), key)
    employed = persons = 0
    for person in frames.persons.iter_rows(named=True):
        registered, born = person["registration_date"], person["birth_date"]
        if registered is None or registered > on or registered.year != cohort:
            continue
        if person["legal_status"] not in ("refugee", "subsidiary_protection"):
            continue
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if not 18 <= age <= 64:
            continue
        persons += 1
        employed += last_job.get(person["person_id"], (on, ""))[1] == "job_start"
    return employed, persons


def test_published_figures_sit_beside_the_same_figures_of_these_data() -> None:
    tables = data.dashboard_tables()
    reference = {row["figure"]: row for row in tables["reference"].iter_rows(named=True)}
    assert reference["cohort_2010_in_2011"]["published_rate"] == pytest.approx(0.11)
    cohorts = tables["cohorts"].filter(pl.col("cohort") == 2010)
    for year, figure in ((2011, "cohort_2010_in_2011"), (2014, "cohort_2010_in_2014")):
        row = cohorts.filter(pl.col("year") == year).row(0, named=True)
        # The same cell as the cohorts table (same people, so the same perturbation) ...
        assert (reference[figure]["count"], reference[figure]["denominator"]) == (
            row["count"],
            row["denominator"],
        )
        # ... and what it counts, counted here from the cohort's rows.
        employed, persons = _cohort_counted(2010, dt.date(year, 12, 31))
        assert abs(reference[figure]["count"] - employed) <= 2
        assert abs(reference[figure]["denominator"] - persons) <= 2
    actiris = reference["actiris_2015_2016"]
    assert actiris["count"] / actiris["denominator"] == pytest.approx(actiris["rate"])


def test_pages_in_arabic_are_right_to_left(analyst: Client) -> None:
    analyst.cookies["passerelle_language"] = "ar"
    for path in PAGES:
        response = analyst.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert 'lang="ar" dir="rtl"' in page
        if path != "/analysis/report/":
            roots = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart"[^>]*>', page)
            assert roots
            assert all('direction="rtl"' in root for root in roots)


def test_csv_downloads_match_the_tables_and_withhold_small_cells(analyst: Client) -> None:
    tables = data.dashboard_tables()
    withheld = 0
    for key, frame in tables.items():
        response = analyst.get(f"/analysis/csv/{key}.csv")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = _rows(response)
        assert len(rows) == frame.height
        counts = [
            c for c in ("count", "denominator", "events", "persons", "participants") if c in rows[0]
        ]
        for line, expected in zip(rows, frame.iter_rows(named=True), strict=True):
            for column in counts:
                value = expected[column]
                assert line[column] == ("" if value is None else str(value))
                if line[column]:
                    assert not 1 <= int(line[column]) < 5  # never a small cell
            if line["suppressed"] == "true":
                withheld += 1
                assert all(line[c] == "" for c in counts)
    assert withheld > 0  # the small cohort has small cells: they are withheld, not shown


def test_a_withheld_flow_cannot_be_recovered_from_its_senders_total(analyst: Client) -> None:
    rows = _rows(analyst.get("/analysis/csv/flows.csv"))
    senders = {r["from_organisation"] for r in rows if r["suppressed"] == "true"}
    assert senders  # the small cohort has small flows
    for row in rows:
        if row["from_organisation"] in senders:
            assert row["denominator"] == ""
            assert row["share"] == ""
        else:
            assert int(row["denominator"]) >= int(row["count"])


def test_charts_are_valid_svg_and_downloads_hold_no_personal_data(analyst: Client) -> None:
    page = analyst.get("/analysis/").content.decode()
    for svg in re.findall(r"<svg xmlns=.*?</svg>", page, flags=re.DOTALL):
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        assert len(root) > 10
    personal = {"person_id", "birth_date", "sex", "arrival_date", "referral_id"}
    for key in ("cohorts", "first_job", "outcomes", "flows"):
        header = analyst.get(f"/analysis/csv/{key}.csv").content.decode().splitlines()[0]
        assert not personal & set(header.split(","))


def test_small_cells_are_withheld_on_the_page(analyst: Client) -> None:
    page = analyst.get("/analysis/").content.decode()
    withheld = sum(int(frame["suppressed"].sum()) for frame in data.dashboard_tables().values())
    assert withheld > 0
    assert page.count('class="withheld"') == withheld
    assert data.frames().synthetic


def _points_fr(share_difference: float) -> str:
    return f"{share_difference * 100:+.1f}".replace(".", ",") + " points de pourcentage"


def test_evaluation_shows_the_selection_bias(analyst: Client) -> None:
    analyst.cookies["passerelle_language"] = "fr"
    page = analyst.get("/analysis/evaluation/?motivation=observed").content.decode()
    result = data.mentoring_evaluation("observed")
    naive = result.evaluation.estimate("naive")
    assert naive.effect > result.true_att + 0.03  # the naive difference is biased upward
    # Differences of shares read as percentage points, with the reader's decimal mark
    # (issue 18: "Effet (points de pourcentage)" showed 0.153).
    assert _points_fr(naive.effect) in page
    assert _points_fr(result.true_att) in page
    assert f"{naive.effect:+.3f}" not in page
    # The estimand is named in words, not as a code ("Estimande : difference", "ATT").
    assert "effet sur les participants" in page
    assert "écart brut, pas un effet" in page
    assert not re.search(r">\s*(ATT|ATE|difference)\s*<", page)
    assert page.count("<svg") == 2  # the estimates with their intervals, the love plot
    balance = _rows(analyst.get("/analysis/evaluation/balance.csv?motivation=observed"))
    assert [r["covariate"] for r in balance] == result.evaluation.balance["covariate"].to_list()
    smd = {r["covariate"]: float(r["smd_weighted"]) for r in balance}
    assert abs(smd["motivation_score"]) < 0.1  # balanced after weighting
    estimates = _rows(analyst.get("/analysis/evaluation/estimates.csv?motivation=observed"))
    assert [r["method"] for r in estimates] == ["naive", "psm", "ipw", "aipw"]
    # The CSV keeps the decimals its `decimals` column states.
    precision = 10 ** -int(estimates[0]["decimals"])
    assert float(estimates[0]["effect"]) == pytest.approx(naive.effect, abs=precision / 2)


def _expected_report(period: str) -> pl.DataFrame:
    source = data.frames()
    return funder_report(
        source.events,
        source.referrals,
        MENTORING,
        parse_period(period),
        secret=data.cell_key_secret(),
    )


def test_funder_report_page_csv_and_pdf(analyst: Client) -> None:
    query = f"programme={MENTORING}&period=2022&language=fr"
    page = analyst.get(f"/analysis/report/?{query}")
    assert page.status_code == 200
    assert "/analysis/report.pdf?" in page.content.decode()
    expected = _expected_report("2022")
    rows = _rows(analyst.get(f"/analysis/report.csv?{query}"))
    assert [r["count"] for r in rows] == [
        "" if v is None else str(v) for v in expected["count"].to_list()
    ]
    response = analyst.get(f"/analysis/report.pdf?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert MENTORING in text
    assert "Mentorat Duo for a Job" in text  # the programme's name in the report's language
    assert "2022-01-01" in text
    numbers = set(re.findall(r"\d+", text))
    for row in expected.iter_rows(named=True):
        for column in ("count", "denominator"):
            if row[column] is not None:
                assert str(row[column]) in numbers
        if row["unit"] == "share" and row["value"] is not None:
            # the report's language's decimal comma (French, Dutch)
            assert f"{row['value'] * 100:.1f} %".replace(".", ",") in text


def test_report_refuses_arabic_pdf_and_bad_periods(analyst: Client) -> None:
    arabic = f"programme={MENTORING}&period=2022&language=ar"
    page = analyst.get(f"/analysis/report/?{arabic}")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode()
    assert analyst.get(f"/analysis/report.pdf?{arabic}").status_code == 400
    assert analyst.get(f"/analysis/report.csv?{arabic}").status_code == 200
    spreadsheet = analyst.get(f"/analysis/report.xlsx?{arabic}")
    assert spreadsheet.status_code == 200
    assert spreadsheet.content.startswith(b"PK")  # a zip: the XLSX container
    bad = f"programme={MENTORING}&period=2022-Q9&language=fr"
    assert analyst.get(f"/analysis/report/?{bad}").status_code == 400
    assert analyst.get(f"/analysis/report.csv?{bad}").status_code == 400

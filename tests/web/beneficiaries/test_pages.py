"""Pages and exports: who may see what, aggregates only, small cells withheld, and no
name anywhere in this app."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from django.apps import apps
from django.test import Client
from django.utils import timezone
from tests.support.beneficiaries import PAGES
from tests.support.html import tables

from passerelle.web.apps.beneficiaries.models import (
    CandidatePair,
    EncodedRecord,
    LinkageRun,
    ReviewDecision,
)

PERSONAL = ("name", "given", "surname", "family", "birth", "phone", "postcode", "email")


ALLOWED = {
    "analyst": {"overview", "csv", "pdf", "runs", "review", "outcomes"},
    "coordinator": {"overview", "csv", "pdf", "share"},
    "org_admin": {"overview", "csv", "pdf", "share"},
    "caseworker": set(),
}


def test_who_may_see_what(clients: dict[str, Client], constructed_run: LinkageRun) -> None:
    for role, client in clients.items():
        for page, url in PAGES.items():
            status = client.get(url).status_code
            expected = 200 if page in ALLOWED[role] else 403
            assert status == expected, (role, page, status)
    anonymous = Client().get(PAGES["overview"])
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/staff/login/")
    pair = CandidatePair.objects.get()
    assert (
        clients["coordinator"].get(f"/analysis/beneficiaries/review/{pair.pk}/").status_code == 403
    )
    refused = clients["caseworker"].post(
        f"/analysis/beneficiaries/review/{pair.pk}/", {"decision": "match"}
    )
    assert refused.status_code == 403
    assert not ReviewDecision.objects.exists()
    assert clients["coordinator"].post("/analysis/beneficiaries/runs/").status_code == 403
    assert LinkageRun.objects.count() == 1


def test_the_figures_page_counts_people_and_withholds_small_cells(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:
    page = clients["coordinator"].get(PAGES["overview"]).content.decode()
    assert "<svg" in page
    assert 'role="img"' in page
    # 31 distinct people, 42 registrations; 11 in two programmes at once? 8 (a+b) at once,
    # 3 (b+c) at once too -> 11; each shown perturbed by at most 2 (core.disclosure)
    (table,) = [t for t in tables(page) if t.caption.startswith("Distinct people")]
    counts = table.column(2)  # measure type, figure, count
    shown = {int(count) for count in counts if count.isdigit()}
    for true in (31, 42, 11):
        assert shown & set(range(true - 2, true + 3)), (true, counts)
    withheld = [row for row in table.rows if "withheld" in row.classes]
    assert withheld  # c-jobs has 3 people
    assert all(row.cells[2] == "withheld" for row in withheld)
    # complementary suppression withholds larger counts too: no withheld figure says "< 5"
    assert "&lt; 5" not in page


def rows_of(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_holds_aggregates_only(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:
    response = clients["analyst"].get(PAGES["csv"])
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert set(rows[0]) == {
        "section",
        "indicator",
        "measure_type",
        "programme",
        "key",
        "count",
        "suppressed",
    }
    figures = {(r["programme"], r["key"]): r for r in rows}

    def near(key: tuple[str, str], true: int) -> bool:  # perturbed by at most 2
        return abs(int(figures[key]["count"]) - true) <= 2

    assert near(("*", "people"), 31)
    assert figures[("c-jobs", "people")]["count"] == ""
    assert figures[("c-jobs", "people")]["suppressed"] == "true"
    # complementary suppression: b-jobs' 11 people minus a+b's 8 would reveal b+c's 3, and
    # with a-jobs' 28, the 31 people minus 28 would too: a+b and a-jobs' size are withheld
    # (a+b and b+c then add up to 11, each anywhere from 1 to 10)
    assert figures[("a-jobs+b-jobs", "people_in_exactly_these_programmes")]["count"] == ""
    assert near(("a-jobs", "people_in_exactly_these_programmes"), 20)
    assert figures[("a-jobs", "people")]["count"] == ""
    assert near(("b-jobs", "people"), 11)
    assert figures[("b-jobs+c-jobs", "people_in_exactly_these_programmes")]["count"] == ""
    for row in rows:
        count = row["count"]
        assert count == "" or int(count) == 0 or int(count) >= 5, row
    text = response.content.decode()
    for record_id in EncodedRecord.objects.values_list("record_id", flat=True):
        assert f",{record_id}," not in text


def test_the_pdf_is_a_report(clients: dict[str, Client], constructed_run: LinkageRun) -> None:
    response = clients["coordinator"].get(PAGES["pdf"])
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    arabic = clients["coordinator"]
    arabic.cookies["passerelle_language"] = "ar"
    assert arabic.get(PAGES["pdf"]).status_code == 400


def test_a_decision_from_the_review_page_is_kept_and_audited(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:
    pair = CandidatePair.objects.get()
    page = clients["analyst"].get(f"/analysis/beneficiaries/review/{pair.pk}/").content.decode()
    assert "same year only" in page
    assert "-1.50" in page
    bad = clients["analyst"].post(
        f"/analysis/beneficiaries/review/{pair.pk}/", {"decision": "maybe"}
    )
    assert bad.status_code == 400
    done = clients["analyst"].post(
        f"/analysis/beneficiaries/review/{pair.pk}/", {"decision": "non_match"}
    )
    assert done.status_code == 302
    decision = ReviewDecision.objects.get()
    assert (decision.record_id_a, decision.record_id_b) == ("a-1", "a-2")
    assert decision.decision == "non_match"
    from passerelle.web.apps.audit.models import AuditEntry

    entry = AuditEntry.objects.get(action="linkage_decision")
    assert entry.actor.username == "analyst"
    assert entry.detail["decision"] == "non_match"
    assert "0 pairs to review" in clients["analyst"].get(PAGES["review"]).content.decode()


def test_no_model_of_the_app_has_a_field_for_personal_data() -> None:
    for model in apps.get_app_config("beneficiaries").get_models():
        for field in model._meta.get_fields():
            name = field.name.lower()
            if name in {"organisation", "organisation_a", "organisation_b", "organisations"}:
                continue
            assert not any(word in name for word in PERSONAL), (model.__name__, name)


def test_the_run_page_shows_progress_and_starts_a_run(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:
    page = clients["analyst"].get(PAGES["runs"]).content.decode()
    assert "1 pair to review" in page
    LinkageRun.objects.create(threshold=0.6, review_low=0.3, review_high=0.9, progress="scoring")
    response = clients["analyst"].get(PAGES["runs"])
    assert response["Refresh"] == "3"
    assert "<progress" in response.content.decode()
    assert clients["analyst"].post(PAGES["runs"]).status_code == 302
    assert LinkageRun.objects.count() == 2  # a run is going on: no second one


def test_a_run_interrupted_long_ago_does_not_block_a_new_one(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:

    stuck = LinkageRun.objects.create(threshold=0.6, review_low=0.3, review_high=0.9)
    LinkageRun.objects.filter(pk=constructed_run.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=4)
    )
    LinkageRun.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - dt.timedelta(hours=3))
    page = clients["analyst"].get(PAGES["runs"])
    assert "Refresh" not in page
    assert "interrupted" in page.content.decode()
    assert clients["analyst"].post(PAGES["runs"]).status_code == 302
    newest = LinkageRun.objects.order_by("-id").first()
    assert newest.status == "failed"  # too few records here, but it ran


def _pdf(client: Client) -> tuple[str, str]:
    """The text of the PDF report and the drawing operators of its first page."""
    from pypdf import PdfReader

    response = client.get(PAGES["pdf"])
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    content = reader.pages[0].get_contents()
    assert content is not None
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, content.get_data().decode("latin-1")


def test_the_pdf_draws_the_overlaps_chart_and_no_small_cell(
    clients: dict[str, Client], constructed_run: LinkageRun, settings: Any
) -> None:
    text, stream = _pdf(clients["coordinator"])
    # the chart: its title, every programme with its size (c-jobs withheld), the withheld
    # combinations' label, and dots and bars drawn on the first page
    assert "People by combination of programmes" in text
    assert "a-jobs (—)" in text  # withheld (28; it would reveal b+c's 3)
    b_size = re.search(r"b-jobs \((\d+)\)", text)
    assert b_size is not None
    assert abs(int(b_size.group(1)) - 11) <= 2  # perturbed (core.disclosure)
    assert "c-jobs (—)" in text
    assert "Some larger counts are withheld as well" in " ".join(text.split())
    assert "<5" not in text  # a withheld 28 must not read "under 5"
    assert text.count("—") >= 4  # a-jobs, c-jobs and the two withheld combinations
    assert stream.count(" c\n") + stream.count(" c ") >= 4 * 3  # circles: 3 sets x 4 combos
    # with a threshold of 2 nothing is withheld: one more rectangle per combination's bar
    settings.MONITORING_THRESHOLD = 2
    loose_text, loose_stream = _pdf(clients["coordinator"])
    assert loose_stream.count(" re ") - stream.count(" re ") == 2
    assert f"b-jobs ({b_size.group(1)})" in loose_text  # the same cell, the same value
    # no count under 5 anywhere: every number outside dates and the footnote is 0 or >= 5
    numbers = re.findall(r"(?<![\d-])\d+(?![\d-])", text.replace("< 5", "").replace("<5", ""))
    footnote = {"1", "4", "2"}  # "Counts from 1 to 4 are withheld ... at most 2"
    small = [n for n in numbers if 0 < int(n) < 5 and n not in footnote]
    assert small == [], small


def test_the_review_page_rounds_the_match_probability(
    clients: dict[str, Client], constructed_run: LinkageRun
) -> None:
    # Django's number_format cuts a float's extra decimals off: 0.899 read "0.89".
    pair = CandidatePair.objects.get()
    CandidatePair.objects.filter(pk=pair.pk).update(match_probability=0.899)
    page = clients["analyst"].get(f"/analysis/beneficiaries/review/{pair.pk}/").content.decode()
    assert "0.90" in page
    assert "0.89" not in page
    queue = clients["analyst"].get(PAGES["review"]).content.decode()
    assert "0.90" in queue

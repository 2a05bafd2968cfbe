"""Unique persons through the linkage on the dashboards: two organisations' files of one
person count once after a linkage run has finished (the run's clusters of the platform's
own encodings), and the page says which count it shows. Synthetic people only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone
from tests.support.accounts import actor_of
from tests.support.beneficiaries import KEY, programmes
from tests.support.people import synthetic_file

from passerelle.core.indicators.platform import LINKS_SCHEMA, linked
from passerelle.web.apps.accounts.models import PlatformRole
from passerelle.web.apps.beneficiaries import services as beneficiaries
from passerelle.web.apps.beneficiaries.models import ClusterMember, EncodedRecord, LinkageRun
from passerelle.web.apps.directory.models import Organisation, Programme
from passerelle.web.apps.monitoring import data
from passerelle.web.apps.people.models import Person
from passerelle.web.apps.people.services import person_create
from passerelle.web.apps.referrals.services import referral_create, referral_transition

__all__ = ["programmes"]  # the fixture


@pytest.fixture(autouse=True)
def platform_records() -> Iterator[None]:
    with override_settings(PASSERELLE_DEMONSTRATION=False):
        yield


def _taking_part(user: User, programme: Programme, **file: str) -> None:
    """A file at the user's organisation, taken into its own programme (started)."""
    actor = actor_of(user)
    person = person_create(actor=actor, data=synthetic_file(**file))
    referral = referral_create(
        actor=actor,
        person_id=person.pk,
        programme=programme,
        planned_start=timezone.localdate() + dt.timedelta(days=7),
        fields=[],
    )
    for action in ("send", "accept", "start"):
        referral_transition(actor=actor, referral_id=referral.pk, action=action)


def test_one_person_with_files_at_two_organisations_counts_once_after_a_linkage_run(
    organisations: dict[str, Organisation],
    programmes: dict[str, Programme],
    make_user: Callable[..., User],
    login: Callable[[User], Client],
) -> None:
    at_a, at_b = make_user("cw_a", "caseworker", "a"), make_user("cw_b", "caseworker", "b")
    _taking_part(at_a, programmes["a"], given="Selam")  # the same person at a and at b
    _taking_part(at_b, programmes["b"], given="Selam")
    _taking_part(  # another person
        at_a,
        programmes["a"],
        given="Hamid",
        family="Rahimi",
        birth_date="1988-11-02",
        phone="+32 486 12 34 56",
    )
    analyst = login(make_user("analyst", platform_role=PlatformRole.ANALYST))

    assert data.frames().persons.height == 3  # no run yet: persons are files
    assert 'data-count="files"' in analyst.get("/analysis/").content.decode()

    # The platform's own encodings through the service; the run's clusters are stated
    # here (one per person), as a finished run stores them: the engine's clustering is
    # tested with the linkage, and a real run takes minutes on the shared test machine.
    for user in (at_a, at_b):
        beneficiaries.encodings_from_person_files(actor=actor_of(user), key=KEY)
    run = LinkageRun.objects.create(
        threshold=0.6, review_low=0.3, review_high=0.9, status="done", finished_at=timezone.now()
    )
    people = {"Selam": 1, "Hamid": 2}
    for record in EncodedRecord.objects.all():
        given = Person.objects.get(pk=record.record_id).given_names_latin
        ClusterMember.objects.create(run=run, record=record, cluster=people[given])

    source = data.frames()
    assert source.persons.height == 2  # Selam once, Hamid once
    starts = source.events.filter(pl.col("kind") == "programme_start")
    assert starts.height == 3
    assert starts["person_id"].n_unique() == 2  # Selam's two participations, one person
    page = analyst.get("/analysis/").content.decode()
    assert 'data-count="linkage"' in page
    assert 'data-count="files"' not in page


def test_linked_replaces_file_ids_by_their_persons_and_keeps_the_representative_first() -> None:
    files = pl.DataFrame({"person": ["f3", "f1", "f2", "f9"], "birth": [3, 1, 2, 9]})
    links = pl.DataFrame(
        [("f1", "f1"), ("f3", "f1"), ("f2", "f2"), ("f9", "f2")], schema=LINKS_SCHEMA, orient="row"
    )
    out = linked(files, links, representative_first=True)
    assert out["person"].to_list() == ["f1", "f2", "f1", "f2"]
    assert out.unique("person", keep="first", maintain_order=True)["birth"].to_list() == [1, 2]
    assert linked(files, pl.DataFrame(schema=LINKS_SCHEMA)).equals(files)

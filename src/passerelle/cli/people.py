"""Commands on person files: the retention purge and the demo's synthetic accounts and files.

Both start Django (the other commands do not) and write only through the services.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from typing import Annotated, Any

import typer
from rich.table import Table

from passerelle.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    django_setup,
    fail,
    print_json,
    today,
)
from passerelle.core.i18n import _

DEMO_PASSWORD = "demo-passerelle-2026"  # noqa: S105 (the demo accounts' documented password)
"""The password of every demo account (demo only: `demo-data` refuses production settings)."""
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
"""The demo authenticator key (hex), printed with its base32 form for an authenticator app."""

DEMO_ANALYST = "ana.analyst"
"""The demo's analyst (platform role): /analysis/ only."""
DEMO_STAFF = [
    ("cpas-anderlecht", "caseworker", "anna.caseworker"),
    ("cpas-anderlecht", "coordinator", "anna.coordinator"),
    ("cpas-anderlecht", "org_admin", "anna.admin"),
    ("duo-for-a-job", "caseworker", "duo.caseworker"),
    ("duo-for-a-job", "coordinator", "duo.coordinator"),
    ("bapa-bxl", "caseworker", "bapa.caseworker"),
]

# Synthetic names, composed at random: no real person.
GIVEN_NAMES = [
    ("محمد", "Mohammed"),
    ("أحمد", "Ahmad"),
    ("فاطمة", "Fatima"),
    ("ليلى", "Layla"),
    ("عمر", "Omar"),
    ("Amanuel", "Amanuel"),
    ("Selam", "Selam"),
    ("Hamid", "Hamid"),
    ("Zahra", "Zahra"),
    ("Mamadou", "Mamadou"),
    ("Aïssatou", "Aissatou"),
    ("Olena", "Olena"),
]
FAMILY_NAMES = [
    ("الحسن", "Al-Hassan"),
    ("خليل", "Khalil"),
    ("Tesfaye", "Tesfaye"),
    ("Haile", "Haile"),
    ("Ahmadi", "Ahmadi"),
    ("Rahimi", "Rahimi"),
    ("Diallo", "Diallo"),
    ("Barry", "Barry"),
    ("Kovalenko", "Kovalenko"),
    ("Mukendi", "Mukendi"),
]
NATIONALITIES = ["SY", "IQ", "AF", "ER", "GN", "CD", "SO", "UA", "PS"]
MUNICIPALITIES = ["Anderlecht", "Schaerbeek", "Molenbeek-Saint-Jean", "Bruxelles", "Forest"]


def purge(
    apply: Annotated[
        bool, typer.Option("--apply", help="Anonymise for real (default: a dry run).")
    ] = False,
    retention_days: Annotated[
        int | None,
        typer.Option(help="Days after closing (default: the PERSON_RETENTION_DAYS setting)."),
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Anonymise person files closed longer ago than the retention period. Dry run unless
    --apply; each file in its own transaction."""
    django_setup()
    from django.conf import settings

    from passerelle.web.apps.people.schemas import PersonDataError
    from passerelle.web.apps.people.services import persons_purge

    days = settings.PERSON_RETENTION_DAYS if retention_days is None else retention_days
    try:
        report = persons_purge(on=today(), retention_days=days, apply=apply)
    except PersonDataError as error:
        fail(f"--retention-days: {error.errors['retention_days']}")
    data = {
        "cutoff": report.cutoff.isoformat(),
        "retention_days": days,
        "due": report.due,
        "anonymised": report.anonymised,
        "dry_run": not apply,
    }
    if output is OutputFormat.json:
        print_json(data)
        return
    console.print(
        _("{due} closed file(s) closed before {cutoff} are due for anonymisation.").format(
            due=report.due, cutoff=report.cutoff
        )
    )
    if apply:
        console.print(_("{count} file(s) anonymised.").format(count=report.anonymised))
    else:
        console.print(_("Dry run: nothing changed. Run again with --apply to anonymise."))


def token_issue(
    organisation: Annotated[
        str, typer.Argument(help="The organisation's id, e.g. cpas-anderlecht.")
    ],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'case system'.")],
    scope: Annotated[
        list[str],
        typer.Option(
            help="persons:read|write|export, referrals:read|write, matching:read|write, "
            "encodings:write, beneficiaries:read (repeat the option)."
        ),
    ],
) -> None:
    """Make an API token for an organisation's own system. The key is printed once; only its
    hash is kept."""
    django_setup()
    from passerelle.web.apps.accounts.models import ApiScope
    from passerelle.web.apps.accounts.services import api_token_issue
    from passerelle.web.apps.directory.models import Organisation

    found = Organisation.objects.filter(slug=organisation).first()
    if found is None:
        fail(f"organisation: {organisation!r} is not loaded (see `passerelle orgs`)")
    unknown = sorted(set(scope) - set(ApiScope.values))
    if unknown or not scope:
        fail(f"--scope: got {unknown or 'none'}; allowed: {', '.join(ApiScope.values)}")
    if not name.strip():
        fail("--name: say what the token is for")
    token, key = api_token_issue(organisation=found, name=name, scopes=scope)
    console.print(
        _(
            "Token {id} for {organisation} ({scopes}). Keep the key now; it is not shown again:"
        ).format(id=token.pk, organisation=organisation, scopes=", ".join(token.scopes))
    )
    print(key)


def demo_data(
    persons: Annotated[int, typer.Option(help="Synthetic files per organisation.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic files.")] = 2026,
) -> None:
    """Create the demo's staff accounts and synthetic person files (demo only; idempotent).
    Run `passerelle load` first."""
    django_setup()
    from django.conf import settings

    if not settings.DEBUG:
        fail("demo-data: only with development settings (DEBUG); never in production")
    if persons < 0 or persons > 500:
        fail("--persons: from 0 to 500")
    accounts = _demo_accounts()
    # Seeded on purpose: the same demo data for the same seed; nothing secret is drawn.
    created = _demo_persons(persons, random.Random(seed))  # noqa: S311
    referred = _demo_referrals()
    _demo_follow_up()
    from passerelle.web.apps.matching.demo import demo_matching

    matching = demo_matching(today=today(), password=DEMO_PASSWORD, seed=seed)
    accounts += [(user, slug, "employer", _("no")) for user, slug in matching["accounts"]]
    table = Table(
        _("user"),
        _("organisation"),
        _("role"),
        _("second factor"),
        title=_("Demo accounts (password: {password})").format(password=DEMO_PASSWORD),
    )
    for username, organisation, role, two_factor in accounts:
        table.add_row(username, organisation, role, two_factor)
    console.print(table)
    key = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
    console.print(
        _(
            "Coordinators and administrators log in with a second factor: add the key {key} "
            "to an authenticator app (TOTP, 6 digits, 30 s)."
        ).format(key=key)
    )
    console.print(_("{count} synthetic person file(s) created.").format(count=created))
    console.print(_("{count} demo referral(s) made.").format(count=referred))
    from passerelle.web.apps.beneficiaries.demo import demo_beneficiaries

    console.print(demo_beneficiaries(seed))
    console.print(
        _(
            "Matching: {mentors} mentor(s), {vacancies} vacancy(ies), {offers} offer(s) made."
        ).format(**matching)
    )


def _demo_accounts() -> list[tuple[str, str, str, str]]:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from passerelle.web.apps.accounts.models import (
        ROLES_WITH_TWO_FACTOR,
        Membership,
        PlatformRole,
        StaffProfile,
    )
    from passerelle.web.apps.directory.models import Organisation

    user_model = get_user_model()
    rows = []
    for slug, role, username in DEMO_STAFF:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            fail(f"organisation {slug!r} is not loaded: run `passerelle load` first")
        user, made = user_model.objects.get_or_create(username=username)
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        two_factor = role in ROLES_WITH_TWO_FACTOR
        if two_factor and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(user=user, name="demo", key=DEMO_TOTP_KEY, confirmed=True)
        rows.append((username, slug, role, _("yes") if two_factor else _("no")))
    # An analyst sees the dashboards, the evaluation and the scenarios, never a person.
    analyst, made = user_model.objects.get_or_create(username=DEMO_ANALYST)
    if made:
        analyst.set_password(DEMO_PASSWORD)
        analyst.save()
    StaffProfile.objects.update_or_create(
        user=analyst, defaults={"platform_role": PlatformRole.ANALYST}
    )
    rows.append((DEMO_ANALYST, "—", PlatformRole.ANALYST.value, _("no")))
    return rows


def _demo_persons(count: int, rng: random.Random) -> int:
    from django.contrib.auth import get_user_model

    from passerelle.web.apps.people.access import persons_for
    from passerelle.web.apps.people.services import consent_record, person_create
    from passerelle.web.common.actors import Actor

    user_model = get_user_model()
    created = 0
    for _slug, role, username in DEMO_STAFF:
        if role != "caseworker":
            continue
        user = user_model.objects.get(username=username)
        membership = user.memberships.select_related("organisation").get()
        # The demo writes as each organisation's caseworker, through the same services.
        actor = Actor(organisation=membership.organisation, role=role, user=user, label=username)
        existing = persons_for(actor).filter(organisation=membership.organisation).count()
        for _index in range(existing, count):
            person = person_create(actor=actor, data=_synthetic_file(rng))
            created += 1
            if rng.random() < 0.5:
                consent_record(
                    actor=actor,
                    person_id=person.pk,
                    purpose="matching",
                    fields=["birth_date", "profile", "education", "experience"],
                    given_on=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300)),
                )
    return created


def _synthetic_file(rng: random.Random) -> dict[str, Any]:
    given, given_latin = rng.choice(GIVEN_NAMES)
    family, family_latin = rng.choice(FAMILY_NAMES)
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(365 * 31))
    application = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(365 * 10))
    status = rng.choice(["refugee", "refugee", "asylum_seeker", "subsidiary_protection"])
    profile: dict[str, Any] = {
        "nationality": rng.choice(NATIONALITIES),
        "legal_status": status,
        "asylum_application_date": application.isoformat(),
        "arrival_in_belgium": (application - dt.timedelta(days=rng.randrange(30))).isoformat(),
        "municipality": rng.choice(MUNICIPALITIES),
        "languages": {"ar": "C2", "fr": rng.choice(["A1", "A2", "B1", "B2"])},
        "education_isced": rng.choice([1, 2, 3, 4, 6, 7]),
        "migration_background": True,
    }
    if status != "asylum_seeker":
        decision = application + dt.timedelta(days=90 + rng.randrange(600))
        profile["asylum_decision_date"] = decision.isoformat()
        profile["residence_permit_months"] = 60
    return {
        "given_names": given,
        "family_name": family,
        "given_names_latin": given_latin,
        "family_name_latin": family_latin,
        "birth_date": birth.isoformat(),
        "phone": f"+32 4{rng.randrange(70, 99)} {rng.randrange(100, 999)} {rng.randrange(1000)}",
        "language": rng.choice(["fr", "nl", "en", "ar"]),
        "profile": profile,
        "assessment": {
            "literacy": rng.choice(["basic", "functional", "fluent"]),
            "experience": [
                {"isco": rng.choice(["5120", "7112", "8322", "2211", "5223"]), "years": 3}
            ],
            "social_needs": rng.sample(["housing", "childcare", "transport", "income"], 2),
        },
    }


def _demo_referrals() -> int:
    """The CPAS refers its first eligible people to Duo for a Job's mentoring, with their
    consent; Duo accepts one. Only when the demo has made no referral yet."""
    from passerelle.web.apps.directory.models import Programme
    from passerelle.web.apps.people.access import persons_for
    from passerelle.web.apps.people.services import consent_record
    from passerelle.web.apps.referrals.eligibility import eligibility_on
    from passerelle.web.apps.referrals.models import Referral
    from passerelle.web.apps.referrals.services import referral_create, referral_transition

    programme = Programme.objects.filter(slug="duo-for-a-job-mentoring").first()
    if programme is None or Referral.objects.exists():
        return 0
    sender, receiver = _demo_actor("anna.caseworker"), _demo_actor("duo.caseworker")
    start = today() + dt.timedelta(days=30)
    made = 0
    for person in persons_for(sender).filter(organisation=sender.organisation):
        if made == 3:
            break
        if eligibility_on(person, programme, start)["status"] != "eligible":
            continue
        fields = ["identity", "contact", "profile"]
        referral = referral_create(
            actor=sender,
            person_id=person.pk,
            programme=programme,
            planned_start=start,
            fields=fields,
        )
        consent_record(
            actor=sender,
            person_id=person.pk,
            purpose="referral",
            recipient=programme.organisation,
            fields=fields,
            given_on=today(),
        )
        referral_transition(actor=sender, referral_id=referral.pk, action="send")
        if made == 0:
            referral_transition(actor=receiver, referral_id=referral.pk, action="accept")
        made += 1
    return made


def _demo_follow_up() -> None:
    """The CPAS records that its first person took part in its own programme until seven
    months ago, with the person's consent to follow-up: the six-month follow-up is then
    overdue on the caseworker's list. Only when the demo has recorded no participation."""
    from passerelle.web.apps.directory.models import Programme
    from passerelle.web.apps.followups.models import Participation
    from passerelle.web.apps.followups.services import participation_record
    from passerelle.web.apps.people.access import persons_for
    from passerelle.web.apps.people.services import consent_record

    if Participation.objects.exists():
        return
    caseworker = _demo_actor("anna.caseworker")
    person = persons_for(caseworker).filter(organisation=caseworker.organisation).first()
    programme = Programme.objects.filter(organisation=caseworker.organisation).first()
    if person is None or programme is None:
        return
    ended_on = today() - dt.timedelta(days=214)
    consent_record(
        actor=caseworker,
        person_id=person.pk,
        purpose="follow_up",
        fields=["contact"],
        given_on=ended_on - dt.timedelta(days=90),
    )
    participation_record(
        actor=caseworker,
        person_id=person.pk,
        programme=programme,
        started_on=ended_on - dt.timedelta(days=90),
        ended_on=ended_on,
    )


def _demo_actor(username: str) -> Any:
    """The demo account `username` acting for its organisation, as a caseworker."""
    from django.contrib.auth import get_user_model

    from passerelle.web.common.actors import Actor

    user = get_user_model().objects.get(username=username)
    return Actor(
        organisation=user.memberships.get().organisation,
        role="caseworker",
        user=user,
        label=user.username,
    )

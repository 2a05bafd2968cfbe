"""The public site under load: gunicorn on PostgreSQL with the landscape loaded plus 5 000
synthetic programmes, driven by a load generator in a second process on loopback.

Creates a dedicated database (`passerelle_bench`, dropped and created again; dropped at the
end unless --keep), migrates it, loads the knowledge base and bulk-creates the synthetic
programmes (origin "user", names and descriptions in French, Dutch, English and Arabic drawn
from word lists), starts gunicorn on a free port of 127.0.0.1 with `benchmarks/
bench_settings.py`, warms every worker up, then runs the load (`benchmarks/web_load.py`, or
locust with `benchmarks/web_locustfile.py`) for --duration seconds at --rate requests per second on
EACH of three endpoints:

- directory search, `GET /directory/?q=<a word>`;
- a programme page, `GET /programmes/<a slug>/`;
- `POST /api/options` with {"profile": {...}, "on": "YYYY-MM-DD"} (reported as missing when
  the endpoint answers 404).

Prints, per endpoint, requests, requests per second achieved, failures and p50/p95/p99 in
milliseconds, and the CPU used by gunicorn, PostgreSQL and the load generator. Goal (issue 3): p95
under 50 ms at 200 requests per second for each endpoint on 2 cores; an endpoint meets it
when it served at least 97 % of the target rate, with p95 < 50 ms and under 0.1 % failures.
Locust shares the machine with the server, as it would on a 2-core CI runner.

    .venv/bin/python benchmarks/web.py [--duration 60] [--rate 200] [--programmes 5000]
        [--workers 3] [--worker-class gthread|sync] [--threads 4] [--keep-alive 5]
        [--load-generator asyncio|locust] [--keep]

Needs PostgreSQL on 127.0.0.1: scripts/ensure-postgres.sh starts the project's own
instance, where the `passerelle` role may create databases. Every programme and profile is
synthetic, never real data.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import csv
import datetime as dt
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psutil

from harness import print_table

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SETTINGS = "bench_settings"
LOCUSTFILE = BENCH_DIR / "web_locustfile.py"
LOAD_LANGUAGES = ("fr", "nl", "en", "ar")
"""The `Accept-Language` of the load's requests (each drawn at random)."""
P95_GOAL_MS = 50.0
RATE_SHARE = 0.97
FAILURE_SHARE = 0.001
ENDPOINTS = (
    ("SearchUser", "GET /directory/?q=", "directory search"),
    ("ProgrammeUser", "GET /programmes/<slug>/", "programme page"),
    ("OptionsUser", "POST /api/options", "POST /api/options"),
)

# Word lists: (French, Dutch, English, Arabic) translations of one another.
Words = tuple[str, str, str, str]
OFFERS: dict[str, list[Words]] = {
    "language_course": [
        ("Cours de français", "Cursus Frans", "French course", "دورة اللغة الفرنسية"),
        ("Cours de néerlandais", "Cursus Nederlands", "Dutch course", "دورة اللغة الهولندية"),
        ("Table de conversation", "Conversatietafel", "Conversation table", "حلقة محادثة"),
        ("Cours intensif de langue", "Intensieve taalcursus", "Intensive language course",
         "دورة لغة مكثفة"),
    ],
    "integration_pathway": [
        ("Parcours d'accueil", "Inburgeringstraject", "Integration pathway", "مسار الاندماج"),
        ("Orientation citoyenne", "Maatschappelijke oriëntatie", "Civic orientation",
         "التوجيه المدني"),
    ],
    "mentoring": [
        ("Parrainage vers l'emploi", "Mentoraat naar werk", "Job mentoring",
         "إرشاد نحو العمل"),
        ("Duo professionnel", "Beroepsduo", "Professional duo", "ثنائي مهني"),
    ],
    "internship": [
        ("Stage d'observation", "Snuffelstage", "Work-shadowing internship",
         "تدريب بالملاحظة"),
        ("Stage en entreprise", "Bedrijfsstage", "Company internship", "تدريب في شركة"),
    ],
    "job_search_support": [
        ("Atelier de recherche d'emploi", "Sollicitatieworkshop", "Job search workshop",
         "ورشة البحث عن عمل"),
        ("Accompagnement vers l'emploi", "Trajectbegeleiding naar werk", "Guidance into work",
         "مرافقة نحو العمل"),
        ("Club emploi", "Jobclub", "Job club", "نادي التوظيف"),
    ],
    "diploma_recognition": [
        ("Aide à l'équivalence de diplôme", "Hulp bij diplomagelijkwaardigheid",
         "Diploma recognition help", "المساعدة في معادلة الشهادات"),
        ("Valorisation des compétences", "Erkenning van competenties", "Skills recognition",
         "الاعتراف بالمهارات"),
    ],
    "literacy": [
        ("Alphabétisation", "Alfabetisering", "Literacy class", "محو الأمية"),
        ("Lire et écrire au quotidien", "Lezen en schrijven in het dagelijks leven",
         "Everyday reading and writing", "القراءة والكتابة اليومية"),
    ],
    "employer_support": [
        ("Conseil aux employeurs", "Advies voor werkgevers", "Employer advice",
         "استشارات لأصحاب العمل"),
        ("Recrutement inclusif", "Inclusieve werving", "Inclusive recruitment",
         "التوظيف الشامل"),
    ],
}  # fmt: skip
SECTORS: list[Words] = [
    ("construction", "bouw", "construction", "البناء"),
    ("soins de santé", "gezondheidszorg", "healthcare", "الرعاية الصحية"),
    ("logistique", "logistiek", "logistics", "الخدمات اللوجستية"),
    ("horeca", "horeca", "hospitality", "الفنادق والمطاعم"),
    ("informatique", "informatica", "IT", "تكنولوجيا المعلومات"),
    ("nettoyage", "schoonmaak", "cleaning", "التنظيف"),
    ("commerce", "handel", "retail", "التجارة"),
    ("cuisine", "keuken", "cooking", "الطبخ"),
    ("électricité", "elektriciteit", "electrical work", "الكهرباء"),
    ("petite enfance", "kinderopvang", "childcare", "رعاية الأطفال"),
    ("transport", "vervoer", "transport", "النقل"),
    ("bureautique", "administratie", "office work", "الأعمال المكتبية"),
    ("mécanique", "mechanica", "mechanics", "الميكانيك"),
    ("jardinage", "tuinbouw", "gardening", "البستنة"),
]
AUDIENCES: list[tuple[Words, list[str]]] = [
    (("jeunes", "jongeren", "young people", "الشباب"),
     ["young_people_with_migration_background"]),
    (("femmes", "vrouwen", "women", "النساء"), ["newcomers"]),
    (("demandeurs d'asile", "asielzoekers", "asylum seekers", "طالبي اللجوء"),
     ["asylum_seekers"]),
    (("réfugiés", "vluchtelingen", "refugees", "اللاجئين"),
     ["refugees", "subsidiary_protection"]),
    (("primo-arrivants", "nieuwkomers", "newcomers", "القادمين الجدد"),
     ["newcomers", "non_eu_newcomers"]),
    (("chercheurs d'emploi", "werkzoekenden", "job seekers", "الباحثين عن عمل"),
     ["job_seekers"]),
]  # fmt: skip
SCHEDULES: list[Words] = [
    ("le matin", "'s ochtends", "in the morning", "صباحاً"),
    ("l'après-midi", "in de namiddag", "in the afternoon", "بعد الظهر"),
    ("en soirée", "'s avonds", "in the evening", "مساءً"),
    ("le samedi", "op zaterdag", "on Saturdays", "يوم السبت"),
]
CLOSINGS: list[Words] = [
    ("Inscription gratuite sur rendez-vous.", "Gratis inschrijving op afspraak.",
     "Free registration by appointment.", "التسجيل مجاني بموعد مسبق."),
    ("Une garderie est disponible pendant les cours.", "Tijdens de lessen is er kinderopvang.",
     "Childcare is available during classes.", "تتوفر رعاية للأطفال أثناء الدروس."),
    ("Un test de niveau précède l'entrée.", "Een niveautest gaat de instap vooraf.",
     "A placement test comes first.", "يسبق الالتحاق اختبار تحديد المستوى."),
    ("Les participants reçoivent une attestation.", "Deelnemers krijgen een attest.",
     "Participants receive a certificate.", "يحصل المشاركون على شهادة."),
    ("Un accompagnement individuel complète les séances de groupe.",
     "Individuele begeleiding vult de groepssessies aan.",
     "One-to-one support complements the group sessions.",
     "تكمل المرافقة الفردية الجلسات الجماعية."),
]  # fmt: skip
APPLY: list[Words] = [
    ("Inscription par téléphone ou sur place.", "Inschrijven via telefoon of ter plaatse.",
     "Register by phone or on site.", "التسجيل عبر الهاتف أو في المكان."),
    ("Envoyez un courriel avec votre CV.", "Stuur een e-mail met je cv.",
     "Send an email with your CV.", "أرسل بريداً إلكترونياً مع سيرتك الذاتية."),
    ("Sur orientation d'un assistant social.", "Na doorverwijzing door een maatschappelijk werker.",
     "On referral by a social worker.", "بإحالة من مساعد اجتماعي."),
]  # fmt: skip
SERVICE_LANGUAGES = ["fr", "nl", "en", "ar", "tr", "es", "ti", "fa", "ps", "so"]
SERVICE_LANGUAGE_WEIGHTS = [30, 25, 15, 12, 4, 4, 3, 3, 2, 2]
ELIGIBILITY: list[dict[str, Any] | None] = [
    None,
    {"field": "legal_status", "in": ["refugee", "subsidiary_protection"]},
    {"field": "legal_status", "in": ["asylum_seeker", "refugee"]},
    {"all": [{"field": "age", "between": [18, 30]}, {"field": "migration_background", "eq": True}]},
    {"field": "integration_pathway", "in": ["obliged", "eligible"]},
    {"all": [{"field": "in_brussels_region", "eq": True},
             {"field": "right_to_work", "in": ["yes", "with_permit"]}]},
]  # fmt: skip
SEARCH_WORDS = [
    # one sector, audience or offer in one language: a few hundred programmes each
    "cuisine", "bouw", "logistics", "schoonmaak", "informatique", "kinderopvang",
    "électricité", "horeca", "mécanique", "tuinbouw", "vervoer", "gardening",
    "jongeren", "réfugiés", "vrouwen", "asylum", "nieuwkomers", "werkzoekenden",
    "mentoraat", "stage", "snuffelstage", "alphabétisation", "jobclub", "conversatietafel",
    "diplôme", "équivalence", "workshop", "inclusive",
    "البناء", "اللاجئين", "الطبخ",
    # broad words found in most descriptions
    "cours", "emploi", "werk", "attestation",
    # the landscape's own programmes
    "tandem", "duo", "actiris", "cpas", "ocmw",
    # no match
    "plombier", "boekhouding",
]  # fmt: skip
NATIONALITIES = ["SY", "AF", "IQ", "ER", "SO", "GN", "CD", "MA", "TR", "PS", "UA", "RO"]
CEFR = ["A1", "A2", "B1", "B2", "C1", "C2"]


# --- the database ------------------------------------------------------------------------


def postgres_url() -> str:
    """The project's DATABASE_URL, starting PostgreSQL when needed."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return os.environ["DATABASE_URL"]
    script = PROJECT_DIR / "scripts" / "ensure-postgres.sh"
    done = subprocess.run([str(script)], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql_admin(base_url: str, *statements: str) -> None:
    """Run statements one by one (DROP/CREATE DATABASE cannot share a transaction)."""
    commands = [arg for statement in statements for arg in ("-c", statement)]
    cmd = ["psql", "-X", with_database(base_url, "postgres"), "-q", *commands]
    subprocess.run([*cmd, "-v", "ON_ERROR_STOP=1"], check=True, capture_output=True, text=True)


def create_database(base_url: str, name: str) -> str:
    owner = urlsplit(base_url).username or "passerelle"
    if name == urlsplit(base_url).path.lstrip("/"):
        raise SystemExit(f"refusing to drop the project's own database {name!r}")
    psql_admin(
        base_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" OWNER "{owner}"',
    )
    return with_database(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    psql_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- synthetic data ----------------------------------------------------------------------


def _text(rng: random.Random, words: Words) -> dict[str, str]:
    """A text in four languages, some without English or Arabic as real entries are."""
    text = dict(zip(("fr", "nl", "en", "ar"), words, strict=True))
    draw = rng.random()
    if draw < 0.15:
        del text["en"], text["ar"]
    elif draw < 0.40:
        del text["ar"]
    return text


def synthetic_programmes(count: int, seed: int) -> list[Any]:
    """Programmes entered by organisations (origin "user"), spread over the organisations."""
    from django.utils.text import slugify

    from passerelle.knowledge.loader import load_knowledge
    from passerelle.web.apps.directory.models import Organisation, Origin, Programme, stable_uuid
    from passerelle.web.apps.directory.services import search_text

    rng = random.Random(seed)
    organisations = list(Organisation.objects.order_by("slug"))
    municipalities = sorted(load_knowledge().municipalities.values(), key=lambda m: m.id)
    categories = sorted(OFFERS)
    programmes = []
    for number in range(count):
        category = rng.choice(categories)
        offer = rng.choice(OFFERS[category])
        sector, schedule, closing = (
            rng.choice(SECTORS),
            rng.choice(SCHEDULES),
            rng.choice(CLOSINGS),
        )
        audience, groups = rng.choice(AUDIENCES)
        weeks = rng.choice([2, 4, 6, 8, 10, 12, 16, 20, 26])
        place = rng.choice(municipalities) if rng.random() < 0.6 else None
        where = (
            ("", "", "", "")
            if place is None
            else (f" ({place.names.fr})", f" ({place.names.nl})", f" ({place.names.fr})",
                  f" ({place.names.fr})")
        )  # fmt: skip
        name = _text(
            rng,
            (
                f"{offer[0]} · {sector[0]} — pour {audience[0]}{where[0]}",
                f"{offer[1]} · {sector[1]} — voor {audience[1]}{where[1]}",
                f"{offer[2]} · {sector[2]} — for {audience[2]}{where[2]}",
                f"{offer[3]} · {sector[3]} — موجّه إلى {audience[3]}{where[3]}",
            ),
        )
        description = {
            code: text
            for code, text in zip(
                ("fr", "nl", "en", "ar"),
                (
                    f"{offer[0]} dans le secteur {sector[0]}, pour {audience[0]}. Les séances "
                    f"ont lieu {schedule[0]} et durent {weeks} semaines. {closing[0]}",
                    f"{offer[1]} in de sector {sector[1]}, voor {audience[1]}. De sessies "
                    f"vinden {schedule[1]} plaats en duren {weeks} weken. {closing[1]}",
                    f"{offer[2]} in the {sector[2]} sector, for {audience[2]}. Sessions take "
                    f"place {schedule[2]} and last {weeks} weeks. {closing[2]}",
                    f"{offer[3]} في قطاع {sector[3]}، موجّه إلى {audience[3]}. تُعقد الجلسات "
                    f"{schedule[3]} وتستمر {weeks} أسابيع. {closing[3]}",
                ),
                strict=True,
            )
            if code in name
        }
        extra = [rng.choice(categories)] if rng.random() < 0.2 else []
        programme_categories = list(dict.fromkeys([category, *extra]))
        languages = sorted(
            set(rng.choices(SERVICE_LANGUAGES, SERVICE_LANGUAGE_WEIGHTS, k=rng.randint(1, 3)))
        )
        organisation = rng.choice(organisations)
        start = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(15 * 365))
        end = start + dt.timedelta(days=rng.randrange(365, 3000)) if rng.random() < 0.15 else None
        slug = slugify(f"{offer[2]} {sector[2]} {number:05d}")
        programmes.append(
            Programme(
                slug=slug,
                uuid=stable_uuid("programme", slug),
                origin=Origin.USER,
                in_knowledge=False,
                organisation=organisation,
                names=name,
                categories=programme_categories,
                categories_index=" " + " ".join(programme_categories) + " ",
                description=description,
                target_groups=groups,
                target_groups_index=" " + " ".join(groups) + " ",
                languages=languages,
                languages_index=" " + " ".join(languages) + " ",
                municipality=place.id if place else "",
                duration={"value": weeks, "unit": "weeks", "sources": []},
                capacity=(
                    {
                        "value": rng.choice([8, 12, 15, 20, 30]),
                        "unit": "people",
                        "per": "session",
                        "sources": [],
                    }
                    if rng.random() < 0.5
                    else None
                ),
                cost=rng.choice(
                    [
                        {"kind": "free", "sources": []},
                        {"kind": "allowance", "amount_eur": 2.0, "per": "day", "sources": []},
                        {"kind": "fee", "amount_eur": 25.0, "per": "session", "sources": []},
                        None,
                    ]
                ),
                how_to_apply=_text(rng, rng.choice(APPLY)),
                valid_from=start.replace(day=1),
                valid_from_text=start.strftime("%Y-%m"),
                valid_to=end.replace(day=1) if end else None,
                valid_to_text=end.strftime("%Y-%m") if end else "",
                eligibility=rng.choice(ELIGIBILITY),
                search_text=search_text(
                    name, description, organisation.names, programme_categories, slug
                ),
            )
        )
    return programmes


def synthetic_requests(count: int, seed: int) -> list[dict[str, Any]]:
    """Bodies for POST /api/options: a synthetic profile and a date, each valid."""
    from passerelle.core.profile import ProfileError, profile_from_data
    from passerelle.knowledge.criteria import LEGAL_STATUSES
    from passerelle.knowledge.loader import load_knowledge

    rng = random.Random(seed)
    places = [
        name for m in load_knowledge().municipalities.values() for name in (m.names.fr, m.names.nl)
    ] + ["1000", "1080", "1030", "1930", "2000", "4000"]

    def day(low: dt.date, high: dt.date) -> dt.date:
        return low + dt.timedelta(days=rng.randrange(max(1, (high - low).days)))

    bodies: list[dict[str, Any]] = []
    for _attempt in range(50 * count):
        if len(bodies) == count:
            break
        status = rng.choices(LEGAL_STATUSES, [30, 30, 10, 5, 5, 10, 5, 5])[0]
        birth = day(dt.date(1960, 1, 1), dt.date(2005, 12, 31))
        arrival = day(max(dt.date(2010, 1, 1), birth + dt.timedelta(days=16 * 366)),
                      dt.date(2024, 6, 30))  # fmt: skip
        profile: dict[str, Any] = {
            "birth_date": birth.isoformat(),
            "nationality": rng.choice(NATIONALITIES),
            "legal_status": status,
            "arrival_in_belgium": arrival.isoformat(),
            "municipality": rng.choice(places),
            "languages": {
                code: rng.choice(CEFR)
                for code in rng.sample(["fr", "nl", "en", "ar", "ti", "fa"], rng.randint(1, 3))
            },
            "education_isced": rng.randint(0, 8),
            "migration_background": True,
        }
        if status in ("asylum_seeker", "refugee", "subsidiary_protection"):
            application = arrival + dt.timedelta(days=rng.randrange(60))
            profile["asylum_application_date"] = application.isoformat()
            if status != "asylum_seeker":
                decision = application + dt.timedelta(days=rng.randrange(60, 900))
                profile["asylum_decision_date"] = decision.isoformat()
                profile["residence_permit_months"] = rng.choice([12, 60])
        elif rng.random() < 0.7:
            registration = arrival + dt.timedelta(days=rng.randrange(400))
            profile["first_registration_brussels"] = registration.isoformat()
        for field in ("birth_date", "municipality", "languages", "education_isced"):
            if rng.random() < 0.1:
                del profile[field]  # missing answers, as in a real intake
        on = min(arrival + dt.timedelta(days=rng.randrange(30, 2500)), dt.date(2026, 12, 31))
        try:
            profile_from_data(profile)
        except ProfileError:
            continue
        bodies.append({"profile": profile, "on": on.isoformat()})
    if len(bodies) < count:
        raise SystemExit("the profile schema changed: update synthetic_requests in web.py")
    return bodies


def prepare(
    database_url: str, programmes: int, seed: int, prerender: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Migrate, load the knowledge base, add the synthetic programmes, then render the
    public pages in the `prerender` languages into the page cache, as the worker's task
    does after a knowledge-base load (`page_cache.public_pages_render`); the locust data."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from passerelle.knowledge.loader import load_knowledge
    from passerelle.web.apps.directory.models import Organisation, Programme
    from passerelle.web.apps.directory.selectors import (
        DirectoryFilters,
        programmes_search,
        programmes_visible,
    )
    from passerelle.web.apps.directory.services import knowledge_load

    call_command("migrate", verbosity=0, interactive=False)
    knowledge_load(knowledge=load_knowledge())
    Programme.objects.bulk_create(synthetic_programmes(programmes, seed), batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    hits = []
    for word in SEARCH_WORDS:
        found = programmes_search(DirectoryFilters(q=word))
        hits.append(len(found) if isinstance(found, list) else found.count())
    if prerender:
        prerender_pages(prerender)
    data = {
        "words": SEARCH_WORDS,
        "slugs": list(programmes_visible().order_by("slug").values_list("slug", flat=True)),
        "requests": synthetic_requests(1000, seed),
        "organisations": Organisation.objects.count(),
        "knowledge_programmes": Programme.objects.filter(in_knowledge=True).count(),
        "search_hits": hits,
    }
    connections.close_all()
    return data


def prerender_pages(languages: tuple[str, ...]) -> None:
    """What the worker does after a load: every public page rendered into the cache."""
    from passerelle.web.apps.directory.page_cache import pages_render, prerender_paths

    started, cpu = time.perf_counter(), time.process_time()
    paths = prerender_paths()
    statuses = pages_render(paths=paths, languages=languages)
    print(
        f"pages rendered ahead: {len(paths)} pages x {len(languages)} languages "
        f"({', '.join(languages)}), statuses {statuses}, in "
        f"{time.perf_counter() - started:.0f} s ({time.process_time() - cpu:.0f} s of CPU)",
        flush=True,
    )


# --- the server and the load -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, body: dict[str, Any] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=30) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def start_gunicorn(args: argparse.Namespace, port: int, env: dict[str, str], log: Path) -> Any:
    cmd = [
        sys.executable, "-m", "gunicorn", "passerelle.web.config.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--pythonpath", str(BENCH_DIR),
        "--backlog", "2048",
        "--log-level", "warning",
        *(["--preload"] if getattr(args, "preload", False) else []),
        *(["--keep-alive", str(args.keep_alive)] if getattr(args, "keep_alive", 0) else []),
    ]  # fmt: skip
    with log.open("w") as output:
        server = subprocess.Popen(
            cmd, env=env, cwd=PROJECT_DIR, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 300  # a busy 2-core machine starts 5 workers slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if request(f"http://127.0.0.1:{port}/") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop(server)
    raise SystemExit(f"gunicorn did not answer within 300 s:\n{log.read_text()[-3000:]}")


def stop(process: Any) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up(host: str, data: dict[str, Any], workers: int, with_options: bool) -> None:
    """Every worker loads the knowledge base and compiles its templates before the clock."""
    rng = random.Random(1)
    calls = []
    for _ in range(30 * workers):
        calls.append((f"{host}/directory/?q={quote(rng.choice(data['words']))}", None))
        calls.append((f"{host}/programmes/{rng.choice(data['slugs'])}/", None))
        if with_options:
            calls.append((f"{host}/api/options", rng.choice(data["requests"])))
    with concurrent.futures.ThreadPoolExecutor(2 * workers) as pool:
        list(pool.map(lambda call: request(*call), calls))


def cpu_seconds(root: psutil.Process) -> float:
    """CPU time of a process tree: the root, its children reaped so far and those alive."""
    try:
        own = root.cpu_times()
        total = own.user + own.system + own.children_user + own.children_system
        for child in root.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def busy_seconds() -> float:
    """CPU time spent by every process on the machine (all cores), idle and iowait excluded."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def postmaster() -> psutil.Process | None:
    """The PostgreSQL server process (its backends are its children)."""
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] != "postgres":
            continue
        try:
            if psutil.Process(process.info["ppid"]).name() != "postgres":
                return process
        except psutil.Error:
            continue
    return None


def postmaster_of(database_url: str) -> psutil.Process | None:
    """The PostgreSQL server serving `database_url` (by its port, when several run)."""
    port = str(urlsplit(database_url).port or 5432)
    for process in psutil.process_iter(["name", "ppid", "cmdline"]):
        if process.info["name"] != "postgres":
            continue
        cmdline = process.info["cmdline"] or []
        try:
            if psutil.Process(process.info["ppid"]).name() == "postgres":
                continue
        except psutil.Error:
            continue
        if any(cmdline[i : i + 2] == ["-p", port] for i in range(len(cmdline))):
            return process
    return postmaster()


LOAD_SCRIPT = BENCH_DIR / "web_load.py"


def run_load(
    args: argparse.Namespace, host: str, data_file: Path, classes: list[str], csv_prefix: Path
) -> tuple[float, str]:
    """The load, by `web_load.py` (asyncio, the default) or locust; its CPU and its log."""
    users = args.users_per_endpoint or max(1, round(args.rate / 2))
    if args.load_generator == "asyncio":
        cmd = [
            sys.executable, str(LOAD_SCRIPT), "--host", host, "--bench-data", str(data_file),
            "--rate", str(args.rate), "--users-per-endpoint", str(users),
            "--run-time", str(args.duration), "--csv", str(csv_prefix), *classes,
        ]  # fmt: skip
    else:
        cmd = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--host", host, "--bench-data", str(data_file),
            "--rate", str(args.rate), "--users-per-endpoint", str(users),
            "-u", str(users * len(classes)), "-r", str(users * len(classes)),
            "--run-time", f"{args.duration}s", "--reset-stats", "--stop-timeout", "5",
            "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING",
            "--exit-code-on-error", "0", *classes,
        ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"{args.load_generator} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, done.stderr


def read_stats(csv_prefix: Path) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    with Path(f"{csv_prefix}_stats.csv").open(newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    failures_file = Path(f"{csv_prefix}_failures.csv")
    failures = []
    if failures_file.exists():
        with failures_file.open(newline="") as handle:
            failures = list(csv.DictReader(handle))
    return rows, failures


def summarise_failures(failures: list[dict[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """Failures by endpoint and error, without the URL that locust puts in each."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for failure in failures:
        error = re.sub(r"'https?://[^']*'", "URL", failure["Error"])
        error = re.sub(r"RetriesExceeded\(URL, \d+, original=(.*)\)", r"\1", error)
        counts[failure["Name"], error] += int(failure["Occurrences"])
    return counts.most_common(6)


# --- the report --------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    stats: dict[str, dict[str, str]],
    missing: dict[str, int],
    classes: list[str],
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for cls, name, label in ENDPOINTS:
        if name not in missing and cls not in classes:
            continue
        if name in missing:
            status = missing[name]
            rows.append((label, "-", "-", "-", "-", "-", "-", f"missing ({status})"))
            continue
        row = stats.get(name)
        if row is None:
            rows.append((label, "0", "-", "-", "-", "-", "-", "no requests"))
            continue
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        rate, p95 = float(row["Requests/s"]), float(row["95%"])
        met = (
            rate >= RATE_SHARE * args.rate
            and p95 < P95_GOAL_MS
            and failed <= FAILURE_SHARE * max(count, 1)
        )
        reasons = []
        if rate < RATE_SHARE * args.rate:
            reasons.append("rate")
        if p95 >= P95_GOAL_MS:
            reasons.append("p95")
        if failed > FAILURE_SHARE * max(count, 1):
            reasons.append("failures")
        rows.append(
            (
                label,
                f"{count:,}",
                f"{rate:,.1f}",
                f"{failed:,}",
                row["50%"],
                row["95%"],
                row["99%"],
                "yes" if met else "no (" + ", ".join(reasons) + ")",
            )
        )
    return rows


def main() -> None:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--rate", type=float, default=200, help="requests/s per endpoint")
    parser.add_argument("--programmes", type=int, default=5000, help="synthetic programmes")
    # The production defaults (Procfile; docs/operations.md, "The web processes").
    parser.add_argument("--workers", type=int, default=cores + 1)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--users-per-endpoint", type=int, default=0, help="users (default: rate / 2)"
    )
    parser.add_argument(
        "--load-generator",
        choices=("asyncio", "locust"),
        default="asyncio",
        help="benchmarks/web_load.py (default, cheap) or locust (web_locustfile.py)",
    )
    parser.add_argument("--keep-alive", type=int, default=5, help="gunicorn --keep-alive (s)")
    parser.add_argument("--database", default="passerelle_bench")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--csv-dir", type=Path, help="keep locust's CSV files here")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("search", "page", "/api/options"),
        help="load only these endpoints (default: all three)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no page rendered ahead (the worker's task after a load): first visits render",
    )
    args = parser.parse_args()
    if args.worker_class == "gthread" and args.threads < 2:
        args.threads = 2

    base_url = postgres_url()
    print(f"preparing database {args.database} ...", flush=True)
    database_url = create_database(base_url, args.database)
    server = None
    # A fresh page cache for each run, shared by this process (which renders the pages
    # ahead in the four languages the load asks in, as the worker does after a load in every
    # public language) and the gunicorn workers. French alone left three requests in four
    # to render at their first visit during the run.
    cache_dir = tempfile.mkdtemp(prefix="passerelle-bench-cache-")
    os.environ["PASSERELLE_CACHE_DIR"] = cache_dir
    try:
        started = time.perf_counter()
        data = prepare(
            database_url, args.programmes, args.seed, prerender=() if args.cold else LOAD_LANGUAGES
        )
        prepared = time.perf_counter() - started
        # The workers may still write to the page cache while the directory goes: stopping
        # them first (below) and ignoring a late file keep the figures from being lost.
        with tempfile.TemporaryDirectory(
            prefix="passerelle-bench-", ignore_cleanup_errors=True
        ) as tmp:
            work = Path(tmp)
            data_file = work / "data.json"
            data_file.write_text(json.dumps(data), encoding="utf-8")
            port = free_port()
            host = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "PASSERELLE_CACHE_DIR": cache_dir,
            }
            server = start_gunicorn(args, port, env, work / "gunicorn.log")
            status = request(f"{host}/api/options", data["requests"][0])
            missing = {"POST /api/options": status} if status == 404 else {}
            classes = [
                cls
                for cls, name, label in ENDPOINTS
                if name not in missing and (not args.only or label.split()[-1] in args.only)
            ]
            warm_up(host, data, args.workers, with_options=not missing)
            gunicorn, postgres = psutil.Process(server.pid), postmaster()
            server_cpu = cpu_seconds(gunicorn)
            database_cpu = cpu_seconds(postgres) if postgres else 0.0
            load_before = os.getloadavg()[0]
            machine_cpu, window = busy_seconds(), time.perf_counter()
            print(
                f"load: {args.rate:g} req/s on each of {len(classes)} endpoint(s) for "
                f"{args.duration} s ...",
                flush=True,
            )
            locust_cpu, locust_log = run_load(args, host, data_file, classes, work / "locust")
            server_cpu = cpu_seconds(gunicorn) - server_cpu
            database_cpu = cpu_seconds(postgres) - database_cpu if postgres else 0.0
            machine_cpu, window = busy_seconds() - machine_cpu, time.perf_counter() - window
            stats, failures = read_stats(work / "locust")
            if args.csv_dir:
                args.csv_dir.mkdir(parents=True, exist_ok=True)
                for file in work.glob("locust*.csv"):
                    (args.csv_dir / file.name).write_bytes(file.read_bytes())
            stop(server)
            gunicorn_log = (work / "gunicorn.log").read_text()
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(cache_dir, ignore_errors=True)
        if args.keep:
            print(f"kept database: {database_url}")
        else:
            drop_database(base_url, args.database)

    hits = data["search_hits"]
    total = data["knowledge_programmes"] + args.programmes
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print()
    print(
        f"site: {total:,} programmes ({data['knowledge_programmes']} from the knowledge base "
        f"+ {args.programmes:,} synthetic), {data['organisations']} organisations; "
        f"prepared in {prepared:.0f} s"
    )
    print(
        f"search: {len(hits)} words, {sum(hits) / len(hits):,.0f} programmes matched on "
        f"average (0 to {max(hits):,})"
    )
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers{threads}"
        + (f", keep-alive {args.keep_alive} s" if args.keep_alive else "")
        + f"; load by {args.load_generator}; "
        f"{cores} cores, load average {load_before:.2f} before the run"
    )
    print()
    header = ("endpoint", "requests", "req/s", "failures", "p50 ms", "p95 ms", "p99 ms",
              f"p95 < {P95_GOAL_MS:g} ms at {args.rate:g} req/s")  # fmt: skip
    print_table(header, report(args, stats, missing, classes))
    print()
    served = sum(int(row["Request Count"]) for name, row in stats.items() if name != "Aggregated")
    per_request = 1000 * (server_cpu + database_cpu) / max(served, 1)
    others = max(0.0, machine_cpu - server_cpu - database_cpu - locust_cpu)
    print(
        f"CPU while the load ran ({window:.0f} s, {cores * window:.0f} core-seconds): gunicorn "
        f"{server_cpu:.0f} s, PostgreSQL {database_cpu:.0f} s, {args.load_generator} "
        f"{locust_cpu:.0f} s ({1000 * locust_cpu / max(served, 1):.2f} ms per request), "
        f"other processes {others:.0f} s"
        + (" (noisy: another load shared the machine)" if others > 0.1 * cores * window else "")
    )
    print(
        f"server and database: {per_request:.1f} ms of CPU per request, so at most "
        f"~{1000 * cores / per_request:,.0f} req/s of this mix on {cores} idle cores"
    )
    for (name, error), occurrences in summarise_failures(failures):
        print(f"failures: {name}: {error} x {occurrences:,}")
    warnings = [line for line in locust_log.splitlines() if "CPU usage" in line]
    for line in warnings[:2]:
        print(f"locust: {line.strip()}")
    if "Traceback" in gunicorn_log:
        print("gunicorn logged errors:\n" + gunicorn_log[-2000:])


if __name__ == "__main__":
    main()

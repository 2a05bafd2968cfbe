"""Synthetic answers to the finder's questions (no real person), shared by the finder's
tests and the test that reads its answers for codes."""

from __future__ import annotations

ASYLUM_SEEKER = {
    "legal_status": "asylum_seeker",
    "asylum_application_date": "2018-01-12",
    "birth_date": "1996-04-02",
    "nationality": "SY",
    "arrival_in_belgium": "2018-01-05",
    "municipality": "schaerbeek",
    "migration_background": "yes",
    "language_en": "B2",
    "on": "2018-06-01",
}
REFUGEE = {
    "legal_status": "refugee",
    "asylum_application_date": "2017-09-04",
    "asylum_decision_date": "2018-10-15",
    "birth_date": "1990-11-23",
    "nationality": "ER",
    "arrival_in_belgium": "2017-08-28",
    "first_registration_brussels": "2018-11-02",
    "municipality": "molenbeek-saint-jean",
    "on": "2019-06-01",
}

"""The vectorised evaluator: the same criteria and derived facts over a whole population.

It mirrors `situation`, `facts` and `explain` column-wise with polars expressions. Nulls
carry "unknown" and polars' boolean `&`, `|` and `~` follow the same three-valued (Kleene)
logic as the scalar evaluator, which a property test checks on random profiles and dates.
Because the date is one value for the whole population, every dated parameter is read once
as a constant. The vectorised path answers eligible / not_eligible / unknown on the date;
the date from which someone becomes eligible is the scalar explainer's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from passerelle.core.landscape import organisation_status_on
from passerelle.core.profile import Profile
from passerelle.core.rules.explain import compare
from passerelle.core.rules.fields import DURATIONS, check_coverage
from passerelle.knowledge.criteria import (
    LANGUAGE_FIELD_PREFIX,
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Not,
    Operand,
    cefr_rank,
    field_spec,
)
from passerelle.knowledge.loader import Knowledge, load_knowledge

PROGRAMME_STATUS = pl.Enum(["eligible", "not_eligible", "unknown"])
OBLIGED_OR_ELIGIBLE = "obliged|eligible"
"""The integration pathway when only the obligation is unsettled (see facts.py)."""

POPULATION_SCHEMA: dict[str, Any] = {
    "birth_date": pl.Date,
    "nationality": pl.String,
    "legal_status": pl.String,
    "asylum_application_date": pl.Date,
    "asylum_decision_date": pl.Date,
    "asylum_refusal_date": pl.Date,
    "appeal_lodged_date": pl.Date,
    "appeal_refusal_date": pl.Date,
    "subsequent_application": pl.Boolean,
    "admissibility_date": pl.Date,
    "residence_permit_months": pl.Int32,
    "labour_market_access": pl.String,
    "arrival_in_belgium": pl.Date,
    "first_registration_brussels": pl.Date,
    "family_of_eea_swiss_citizen": pl.Boolean,
    "integration_certificate": pl.Boolean,
    "integration_other_exemption": pl.Boolean,
    "municipality": pl.String,
    "languages_known": pl.Boolean,
    "education_isced": pl.Int8,
    "migration_background": pl.Boolean,
}
"""A population frame has these columns, plus `language_<code>` (CEFR rank, 0 = not spoken)
for each language a criterion reads; a missing language column means nobody speaks it."""


def with_population_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every `POPULATION_SCHEMA` column: the ones a caller does not build
    (the asylum procedure's events, the pathway's exemptions) are added empty, that is
    unknown or not happened."""
    missing = [
        pl.lit(None, dtype).alias(name)
        for name, dtype in POPULATION_SCHEMA.items()
        if name not in frame.columns
    ]
    return frame.with_columns(missing) if missing else frame


def population_frame(profiles: Iterable[Profile], languages: Sequence[str] = ()) -> pl.DataFrame:
    """A population frame from validated profiles (for tests and small populations; large
    synthetic populations are built column-wise, see benchmarks/eligibility.py)."""
    rows: list[dict[str, Any]] = []
    codes = set(languages)
    profiles = list(profiles)
    for profile in profiles:
        if profile.languages:
            codes.update(profile.languages)
    for profile in profiles:
        row = {
            name: getattr(profile, name) for name in POPULATION_SCHEMA if name != "languages_known"
        }
        row["languages_known"] = profile.languages is not None
        for code in codes:
            level = (profile.languages or {}).get(code)
            row[f"language_{code}"] = cefr_rank(level) if profile.languages is not None else None
        rows.append(row)
    schema = dict(POPULATION_SCHEMA) | {f"language_{code}": pl.Int8 for code in sorted(codes)}
    return pl.DataFrame(rows, schema=schema)


def _date_parts_key(column: pl.Expr) -> pl.Expr:
    return column.dt.month().cast(pl.Int32) * 100 + column.dt.day().cast(pl.Int32)


def full_years_expr(start: pl.Expr, on: dt.date) -> pl.Expr:
    """`knowledge.dates.full_years_between` column-wise."""
    return (
        pl.lit(on.year, pl.Int32)
        - start.dt.year().cast(pl.Int32)
        - (_date_parts_key(start) > on.month * 100 + on.day).cast(pl.Int32)
    )


def full_months_expr(start: pl.Expr, on: dt.date | pl.Expr) -> pl.Expr:
    """`knowledge.dates.full_months_between` column-wise (to a date or a date column)."""
    end = pl.lit(on, pl.Date) if isinstance(on, dt.date) else on
    return (
        (end.dt.year().cast(pl.Int32) - start.dt.year().cast(pl.Int32)) * 12
        + (end.dt.month().cast(pl.Int32) - start.dt.month().cast(pl.Int32))
        - (start.dt.day().cast(pl.Int32) > end.dt.day().cast(pl.Int32)).cast(pl.Int32)
    )


def _full_years_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """`knowledge.dates.full_years_between` between two date columns."""
    return (
        end.dt.year().cast(pl.Int32)
        - start.dt.year().cast(pl.Int32)
        - (_date_parts_key(start) > _date_parts_key(end)).cast(pl.Int32)
    )


def _null(dtype: Any) -> pl.Expr:
    return pl.lit(None, dtype)


class PopulationRules:
    """Compiles facts and criteria for one date into polars expressions."""

    def __init__(self, knowledge: Knowledge, on: dt.date) -> None:
        check_coverage(on)
        self.knowledge = knowledge
        self.on = on

    def _param(self, parameter_id: str) -> Any:
        value = self.knowledge.parameters[parameter_id].value_on(self.on)
        return None if value is None else value.value

    # --- derived columns (computed once, referenced by every programme) --------------------

    def derived_columns(self) -> list[pl.Expr]:
        on = self.on
        durations = [
            (full_years_expr if unit == "years" else full_months_expr)(pl.col(start), on).alias(
                f"_{name}"
            )
            for name, (start, unit) in DURATIONS.items()
        ]
        eu_members = [
            country
            for country in self.knowledge.eu_membership
            if self.knowledge.is_eu_member(country, on)
        ]
        return [
            self.legal_status_expr().alias("_legal_status"),
            *durations,
            pl.col("nationality").is_in(eu_members).alias("_eu_national"),
            (~pl.col("municipality").str.contains(r"^\d+$")).alias("_in_brussels_region"),
        ]

    def fact_columns(self) -> list[pl.Expr]:
        return [
            self.right_to_work_expr().alias("_right_to_work"),
            self.integration_pathway_expr().alias("_integration_pathway"),
        ]

    def legal_status_expr(self) -> pl.Expr:
        """`fields.legal_status_on` column-wise."""
        on = self.on
        status = pl.col("legal_status")
        application = pl.col("asylum_application_date")
        lodged = pl.col("appeal_lodged_date")
        end = (
            pl.when(pl.col("asylum_decision_date").is_not_null())
            .then(pl.col("asylum_decision_date"))
            .when(status.ne_missing(pl.lit("no_permit")))
            .then(_null(pl.Date))
            .when(pl.col("appeal_refusal_date").is_not_null())
            .then(pl.col("appeal_refusal_date"))
            .when(lodged.is_null())
            .then(pl.col("asylum_refusal_date"))
            .otherwise(_null(pl.Date))
        )
        before_end = end.is_not_null() & (end > on)
        refused_on_appeal_undated = (
            (status == "no_permit") & end.is_null() & lodged.is_not_null()
        ).fill_null(False)
        return (
            pl.when(status.is_null())
            .then(_null(pl.String))
            .when(application.is_not_null() & (application > on))
            .then(_null(pl.String))
            .when(before_end & application.is_null())
            .then(_null(pl.String))
            .when(before_end)
            .then(pl.lit("asylum_seeker"))
            .when(refused_on_appeal_undated & (lodged > on))
            .then(pl.lit("asylum_seeker"))
            .when(refused_on_appeal_undated)
            .then(_null(pl.String))
            .otherwise(status)
        )

    def right_to_work_expr(self) -> pl.Expr:
        """`facts.right_to_work_on` column-wise."""
        status = pl.col("_legal_status")
        transitional = self._param("right_to_work.eu_citizen.transitional_work_permit") or []
        expression: Any = pl.when(status.is_null()).then(_null(pl.String))
        for legal_status in self._statuses():
            if legal_status == "eu_citizen" and transitional:
                nationality = pl.col("nationality")
                expression = expression.when((status == legal_status) & nationality.is_null()).then(
                    _null(pl.String)
                )
                expression = expression.when(
                    (status == legal_status) & nationality.is_in(list(transitional))
                ).then(pl.lit("with_permit"))
            value = self._regime_expr(legal_status)
            expression = expression.when(status == legal_status).then(value)
        return expression.otherwise(_null(pl.String))  # type: ignore[no-any-return]

    def _regime_expr(self, legal_status: str) -> pl.Expr:
        """The right to work of one legal status under its regime (`facts.right_to_work_on`'s
        branches after the EU transitional period)."""
        regime = self._param(f"right_to_work.regime.{legal_status}")
        if regime == "exempt":
            return pl.lit("yes")
        if regime == "none":
            return pl.lit("no")
        if regime == "residence_card":
            return pl.col("labour_market_access").replace_strict(
                {"unlimited": "yes", "limited": "with_permit", "none": "no"},
                default=None,
                return_dtype=pl.String,
            )
        if regime == "work_permit_c" and legal_status == "subsidiary_protection":
            return pl.lit("with_permit")
        if legal_status != "asylum_seeker" or regime not in ("work_permit_c", "automatic"):
            raise ValueError(
                f"right_to_work.regime.{legal_status}: regime {regime!r} is not defined "
                "for this status"
            )
        return self._asylum_seeker_expr("with_permit" if regime == "work_permit_c" else "yes")

    def _asylum_seeker_expr(self, after_waiting: str) -> pl.Expr:
        """`facts._asylum_seeker_right_to_work` column-wise: `after_waiting` once the waiting
        period is over and no decision ended the right."""
        on = self.on
        months = pl.col("_months_since_application")
        waiting = int(self._param("right_to_work.asylum_seeker.waiting_months"))
        application = pl.col("asylum_application_date")
        refusal = pl.col("asylum_refusal_date")
        refused = refusal.is_not_null() & (refusal <= on)
        admissibility = pl.col("admissibility_date")
        appeal_refusal = pl.col("appeal_refusal_date")
        return (
            pl.when(months.is_null())
            .then(_null(pl.String))
            .when(
                pl.col("subsequent_application").fill_null(False)
                & (admissibility.is_null() | (admissibility > on))
            )
            .then(pl.lit("no"))
            .when(refused & (full_months_expr(application, refusal) < waiting))
            .then(pl.lit("no"))
            .when(months < waiting)
            .then(pl.lit("no"))
            .when(appeal_refusal.is_not_null() & (appeal_refusal <= on))
            .then(pl.lit("no"))
            .when(refused & pl.col("appeal_lodged_date").is_null())
            .then(pl.lit("no"))
            .otherwise(pl.lit(after_waiting))
        )

    def _statuses(self) -> list[str]:
        prefix = "right_to_work.regime."
        return [p.removeprefix(prefix) for p in self.knowledge.parameters if p.startswith(prefix)]

    def integration_pathway_expr(self) -> pl.Expr:
        """`facts.integration_pathway_on` column-wise."""
        if not self._param("integration_pathway.in_force"):
            return pl.lit("not_eligible")
        failing, unknown = self._pathway_conditions()
        if not self._param("integration_pathway.obligation"):
            settled: pl.Expr = pl.lit("eligible")
        else:
            settled = self._obligation_expr()
        return (
            pl.when(failing)
            .then(pl.lit("not_eligible"))
            .when(unknown)
            .then(_null(pl.String))
            .otherwise(settled)
        )

    def _pathway_permit_expr(self) -> pl.Expr:
        """The residence permit's months, stated or the status's default (`_pathway_permit`)."""
        status = pl.col("_legal_status")
        defaults: dict[str, int] = self._param(
            "integration_pathway.residence_permit_months_by_status"
        )
        return (
            pl.when(status.is_in(["asylum_seeker", "no_permit"]))
            .then(pl.lit(0, pl.Int32))
            .when(
                pl.col("residence_permit_months").is_not_null()
                & status.eq_missing(pl.col("legal_status"))
            )
            .then(pl.col("residence_permit_months").cast(pl.Int32))
            .otherwise(status.replace_strict(defaults, default=None, return_dtype=pl.Int32))
        )

    def _pathway_conditions(self) -> tuple[pl.Expr, pl.Expr]:
        """(a condition of the pathway fails, one is unknown): nationality, permit, age, years
        in Belgium, municipality."""
        permit = self._pathway_permit_expr()
        minimum = int(self._param("integration_pathway.minimum_permit_months_exclusive"))
        maximum = int(self._param("integration_pathway.maximum_years_in_belgium_exclusive"))
        excluded_eu = bool(self._param("integration_pathway.excluded_eu_nationals"))
        nationality = pl.col("nationality")
        years = pl.col("_years_in_belgium")
        municipality = pl.col("municipality")
        adult = int(self._param("integration_pathway.minimum_age"))
        age = pl.col("_age")
        failing = (
            (nationality.is_not_null() & pl.col("_eu_national") & pl.lit(excluded_eu))
            | (permit.is_not_null() & (permit <= minimum))
            | (age.is_not_null() & (age < adult))
            | (years.is_not_null() & (years >= maximum))
            | (municipality.is_not_null() & ~pl.col("_in_brussels_region"))
        ).fill_null(False)
        unknown = (
            nationality.is_null()
            | permit.is_null()
            | age.is_null()
            | years.is_null()
            | municipality.is_null()
        )
        return failing, unknown

    def _obligation_expr(self) -> pl.Expr:
        """Obliged, eligible (exempt) or either (unsettled) for those who meet the conditions
        (`facts._pathway_obligation` and `_obligation_exemptions`)."""
        obligation = self.knowledge.parameters["integration_pathway.obligation"]
        start = next(v.valid_from for v in obligation.values if v.value is True)
        low = int(self._param("integration_pathway.obligation_minimum_age"))
        high = int(self._param("integration_pathway.obligation_maximum_age_exclusive"))
        nationality = pl.col("nationality")
        birth = pl.col("birth_date")
        registration = pl.col("first_registration_brussels")
        arrival = pl.col("arrival_in_belgium")
        age_at_registration = _full_years_between(birth, registration)
        exempt_nationalities = list(
            self._param("integration_pathway.obligation_exempt_nationalities") or []
        )
        answers = [
            pl.col(name)
            for name in (
                "family_of_eea_swiss_citizen",
                "integration_certificate",
                "integration_other_exemption",
            )
        ]
        exempt = (
            (registration.is_not_null() & (registration < start))
            | (registration.is_not_null() & (registration > self.on))
            | (
                registration.is_not_null()
                & birth.is_not_null()
                & ((age_at_registration < low) | (age_at_registration >= high))
            )
            | (
                registration.is_null()
                & birth.is_not_null()
                & arrival.is_not_null()
                & (_full_years_between(birth, arrival) >= high)
            )
            | (
                nationality.is_not_null()
                & (pl.col("_eu_national") | nationality.is_in(exempt_nationalities))
            )
            | pl.any_horizontal([answer.fill_null(False) for answer in answers])
        ).fill_null(False)
        unsettled = (
            registration.is_null()
            | birth.is_null()
            | pl.any_horizontal([answer.is_null() for answer in answers])
        )
        return (
            pl.when(exempt)
            .then(pl.lit("eligible"))
            .when(unsettled)
            .then(pl.lit(OBLIGED_OR_ELIGIBLE))
            .otherwise(pl.lit("obliged"))
        )

    # --- criteria ----------------------------------------------------------------------------

    def field_expr(self, name: str) -> pl.Expr:
        if name.startswith(LANGUAGE_FIELD_PREFIX):
            return pl.col(f"language_{name.removeprefix(LANGUAGE_FIELD_PREFIX)}")
        if name in DURATIONS or name in (
            "legal_status",
            "eu_national",
            "in_brussels_region",
            "right_to_work",
            "integration_pathway",
        ):
            return pl.col(f"_{name}")
        return pl.col(field_spec(name).name)

    def criterion_expr(self, criterion: Criterion, columns: frozenset[str]) -> pl.Expr:
        if isinstance(criterion, AllOf | AnyOf):
            parts = [self.criterion_expr(item, columns) for item in criterion.items]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if isinstance(criterion, AllOf) else combined | part
            return combined
        if isinstance(criterion, Not):
            return ~self.criterion_expr(criterion.item, columns)
        return self._compare_expr(criterion, columns)

    def _compare_expr(self, node: Compare, columns: frozenset[str]) -> pl.Expr:
        expected: Operand = node.value
        if field_spec(node.field).kind == "cefr":
            expected = (
                tuple(cefr_rank(str(v)) for v in expected)
                if isinstance(expected, tuple)
                else cefr_rank(str(expected))
            )
            column = f"language_{node.field.removeprefix(LANGUAGE_FIELD_PREFIX)}"
            level = pl.col(column).fill_null(0) if column in columns else pl.lit(0, pl.Int8)
            value = pl.when(pl.col("languages_known")).then(level).otherwise(_null(pl.Int8))
        else:
            value = self.field_expr(node.field)
        result = _apply(node.op, value, expected)
        if node.field == "integration_pathway":
            outcomes = {compare(node.op, v, expected) for v in OBLIGED_OR_ELIGIBLE.split("|")}
            decided = _null(pl.Boolean) if len(outcomes) > 1 else pl.lit(outcomes.pop())
            result = pl.when(value == OBLIGED_OR_ELIGIBLE).then(decided).otherwise(result)
        return pl.when(value.is_null()).then(_null(pl.Boolean)).otherwise(result)

    def programme_expr(self, programme_id: str, columns: frozenset[str]) -> pl.Expr:
        version = self.knowledge.programme_on(programme_id, self.on)
        if version is None or not organisation_status_on(
            self.knowledge.organisations[version.organisation], self.on
        ).offers(version.offered_while_dormant):
            return pl.lit("not_eligible", PROGRAMME_STATUS).alias(programme_id)
        if version.eligibility is None:
            return pl.lit("eligible", PROGRAMME_STATUS).alias(programme_id)
        outcome = self.criterion_expr(version.eligibility, columns)
        return (
            pl.when(outcome)
            .then(pl.lit("eligible", PROGRAMME_STATUS))
            .when(~outcome)
            .then(pl.lit("not_eligible", PROGRAMME_STATUS))
            .otherwise(pl.lit("unknown", PROGRAMME_STATUS))
            .alias(programme_id)
        )


def _apply(op: str, value: pl.Expr, expected: Operand) -> pl.Expr:
    if isinstance(expected, tuple):
        if op == "between":
            low, high = expected
            return value.is_between(low, high, closed="both")
        membership = value.is_in(list(expected))
        return ~membership if op == "not_in" else membership
    comparisons = {
        "eq": value.eq,
        "ne": value.ne,
        "lt": value.lt,
        "le": value.le,
        "gt": value.gt,
        "ge": value.ge,
    }
    return comparisons[op](expected)


def evaluate_population(
    population: pl.DataFrame | pl.LazyFrame,
    on: dt.date,
    knowledge: Knowledge | None = None,
    programme_ids: Sequence[str] | None = None,
    keep_facts: bool = True,
) -> pl.DataFrame:
    """One column per programme (eligible / not_eligible / unknown on `on`), plus the
    derived facts `right_to_work` and `integration_pathway` ("unknown" when undetermined)."""
    knowledge = knowledge or load_knowledge()
    rules = PopulationRules(knowledge, on)
    ids = list(programme_ids) if programme_ids is not None else sorted(knowledge.programmes)
    frame = population.lazy()
    present = frame.collect_schema().names()
    frame = frame.with_columns(
        pl.lit(None, dtype).alias(name)
        for name, dtype in POPULATION_SCHEMA.items()
        if name not in present
    )
    columns = frozenset(frame.collect_schema().names())
    programme_columns = [rules.programme_expr(programme_id, columns) for programme_id in ids]
    fact_outputs = (
        [
            pl.col("_right_to_work").fill_null("unknown").alias("right_to_work"),
            pl.col("_integration_pathway")
            .replace(OBLIGED_OR_ELIGIBLE, None)
            .fill_null("unknown")
            .alias("integration_pathway"),
        ]
        if keep_facts
        else []
    )
    return (
        frame.with_columns(rules.derived_columns())
        .with_columns(rules.fact_columns())
        .select(*fact_outputs, *programme_columns)
        .collect()
    )

"""The rules, read once per simulated month from the rules engine, as lookup tables.

The simulation does not copy a rule: on the first day of each month it asks the vectorised
rules engine (`passerelle.core.rules.vectorised.evaluate_population`, the same dated
parameters as every other answer of the platform) for the right to work and the
integration pathway of a small frame holding one row per combination that matters
(legal status x months since the application; status x years in Belgium x month of first
registration). Each agent then reads its answer by index. A scenario changes the dated
parameters of the knowledge base (`apply_parameter_changes`), and the tables follow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from passerelle.core.rules.vectorised import POPULATION_SCHEMA, evaluate_population
from passerelle.core.simulation.config import ParameterChange, SimulationConfigError
from passerelle.knowledge.loader import Knowledge
from passerelle.knowledge.model import Parameter, ParameterValue

STATUSES = ("asylum_seeker", "refugee", "subsidiary_protection", "no_permit")
"""Legal status codes of the simulation (index = code)."""
RIGHT_TO_WORK = ("no", "with_permit", "yes")
"""Right-to-work codes (index = code); an unknown answer is read as `no`."""
PATHWAY = ("not_eligible", "eligible", "obliged")
PATHWAY_YEARS = 4
"""Years in Belgium 0, 1, 2 and 3 or more (the pathway is for less than 3 years)."""
SUBSIDIARY_PERMIT_MONTHS = 12
"""An assumption: a subsidiary protection permit is valid one year (renewable)."""
AGE_FOR_RULES = 30
"""Agents are adults of working age; the pathway's age limits are read at this age."""
MUNICIPALITY = "bruxelles"


def add_months(start: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `start`'s month."""
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def apply_parameter_changes(knowledge: Knowledge, changes: Sequence[ParameterChange]) -> Knowledge:
    """A copy of the knowledge base with the scenario's dated values (OpenFisca's reform
    `update`): from `valid_from` the value is `value`; from `valid_to` (if given) the value
    in force before the change applies again. Values after `valid_from` are dropped."""
    if not changes:
        return knowledge
    parameters = dict(knowledge.parameters)
    for index, change in enumerate(changes):
        parameter = parameters.get(change.id)
        if parameter is None:
            raise SimulationConfigError(
                [f"parameters[{index}].id: unknown parameter {change.id!r}"]
            )
        restored = parameter.value_on(change.valid_to) if change.valid_to else None
        later = [
            v
            for v in parameter.values
            if change.valid_to is not None and v.valid_from > change.valid_to
        ]
        values = [v for v in parameter.values if v.valid_from < change.valid_from]
        values.append(
            ParameterValue.model_construct(
                valid_from=change.valid_from, value=change.value, sources=[], note="scenario"
            )
        )
        if change.valid_to is not None:
            values.append(
                ParameterValue.model_construct(
                    valid_from=change.valid_to,
                    value=None if restored is None else restored.value,
                    sources=[] if restored is None else restored.sources,
                    note=None,
                )
            )
            values.extend(later)
        parameters[change.id] = Parameter.model_construct(
            id=parameter.id,
            description=parameter.description,
            unit=parameter.unit,
            values=values,
        )
    return dataclasses.replace(knowledge, parameters=parameters)


@dataclass(frozen=True)
class RuleTables:
    """`right_to_work[t, status, min(months since application, waiting_cap)]` and
    `pathway[t, status, min(years in Belgium, 3), month of first registration]` as codes."""

    start: dt.date
    right_to_work: npt.NDArray[np.int8]
    pathway: npt.NDArray[np.int8]

    @property
    def months_cap(self) -> int:
        return int(self.right_to_work.shape[2]) - 1


NO_EXEMPTION = {
    "family_of_eea_swiss_citizen": False,
    "integration_certificate": False,
    "integration_other_exemption": False,
}


def _waiting_cap(knowledge: Knowledge) -> int:
    values = knowledge.parameters["right_to_work.asylum_seeker.waiting_months"].values
    return max(int(v.value) for v in values if isinstance(v.value, int)) + 1


def _frame(on: dt.date, months: int, cap: int) -> pl.DataFrame:
    """Rows for the right to work (status x months since application) then for the pathway
    (protected status x years in Belgium x registration month 0..month of `on`)."""
    rows: list[dict[str, object]] = []
    birth = dt.date(on.year - AGE_FOR_RULES, 1, 1)
    for status in STATUSES:
        for since in range(cap + 1):
            application = add_months(on, -since)
            decided = status != "asylum_seeker"
            rows.append(
                {
                    "birth_date": birth,
                    "nationality": "SY",
                    "legal_status": status,
                    "asylum_application_date": application,
                    "asylum_decision_date": on if decided else None,
                    "arrival_in_belgium": application,
                    "municipality": MUNICIPALITY,
                }
            )
    for status in STATUSES:
        permit = SUBSIDIARY_PERMIT_MONTHS if status == "subsidiary_protection" else None
        for years in range(PATHWAY_YEARS):
            arrival = add_months(on, -12 * years)
            for registration in range(months + 1):
                registered = add_months(on, registration - months)
                decided = status != "asylum_seeker"
                rows.append(
                    {
                        "birth_date": birth,
                        "nationality": "SY",
                        "legal_status": status,
                        "asylum_application_date": arrival,
                        "asylum_decision_date": registered if decided else None,
                        "residence_permit_months": permit,
                        "arrival_in_belgium": arrival,
                        "first_registration_brussels": registered,
                        "municipality": MUNICIPALITY,
                        # The simulated newcomers are third-country nationals without an
                        # exemption from the obligation (an assumption: docs/simulation.md).
                        **NO_EXEMPTION,
                    }
                )
    return pl.DataFrame(rows, schema=POPULATION_SCHEMA)


def build_rule_tables(knowledge: Knowledge, start: dt.date, months: int) -> RuleTables:
    """Ask the rules engine once per month (first day) for every combination."""
    cap = _waiting_cap(knowledge)
    statuses = len(STATUSES)
    right_to_work = np.zeros((months, statuses, cap + 1), dtype=np.int8)
    pathway = np.zeros((months, statuses, PATHWAY_YEARS, months), dtype=np.int8)
    rtw_codes = {name: code for code, name in enumerate(RIGHT_TO_WORK)}
    pathway_codes = {name: code for code, name in enumerate(PATHWAY)}
    for t in range(months):
        on = add_months(start, t)
        answers = evaluate_population(_frame(on, t, cap), on, knowledge, programme_ids=[])
        rtw = np.array(
            [rtw_codes.get(v, 0) for v in answers["right_to_work"].to_list()], dtype=np.int8
        )
        right_to_work[t] = rtw[: statuses * (cap + 1)].reshape(statuses, cap + 1)
        path = np.array(
            [pathway_codes.get(v, 0) for v in answers["integration_pathway"].to_list()],
            dtype=np.int8,
        )[statuses * (cap + 1) :].reshape(statuses, PATHWAY_YEARS, t + 1)
        # Registration month index r in the frame is relative: row r is month r of the run.
        pathway[t, :, :, : t + 1] = path
    return RuleTables(start, right_to_work, pathway)

"""`passerelle evaluate`, `report` and `indicators`: programme effects four ways, a funder
report, and the indicator set as CSV files; aggregates with small cells suppressed. All run
on CSV inputs or on the synthetic cohort (synthetic data only, never real people)."""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import Progress
from rich.table import Column, Table

from passerelle.cli.common import console, django_setup, errors, fail, parse_date, print_json
from passerelle.core.disclosure import SYNTHETIC_SECRET
from passerelle.core.evaluation.estimators import (
    ESTIMAND_VALUES,
    PROPENSITY_TERMS,
    Evaluation,
    EvaluationInputError,
    evaluate_programme,
)
from passerelle.core.evaluation.loveplot import love_plot_svg
from passerelle.core.evaluation.synthetic import (
    MENTORING,
    PROGRAMME_ORGANISATION,
    CohortParameters,
    generate_cohort,
)
from passerelle.core.i18n import _, language_of
from passerelle.core.indicators.report import (
    HEADINGS,
    SYNTHETIC_SOURCE,
    funder_report,
    parse_period,
    report_csv,
    report_rows,
    translated_report,
)
from passerelle.core.indicators.report_pdf import PDF_LANGUAGES, report_pdf
from passerelle.core.indicators.report_xlsx import report_xlsx
from passerelle.core.indicators.schema import IndicatorInputError, read_csv
from passerelle.core.indicators.standard import export_counts, standard_indicators
from passerelle.core.indicators.suppression import suppress_small_cells
from passerelle.knowledge.loader import load_knowledge

PROGRAMME_ALIASES = {"mentoring": MENTORING}
REPORT_LANGUAGES = ("en", "fr", "nl", "ar")


class EvaluateFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Missing(StrEnum):
    refuse = "refuse"
    drop = "drop"
    indicator = "indicator"


class OutcomeKind(StrEnum):
    auto = "auto"
    binary = "binary"
    continuous = "continuous"


MISSING_MARKS = ["NA", "N/A", "NaN", "nan", "null", "NULL"]
"""Cells read as missing in an --input CSV, besides empty ones."""


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    pdf = "pdf"
    xlsx = "xlsx"


class Motivation(StrEnum):
    observed = "observed"
    proxy = "proxy"
    unobserved = "unobserved"


def _programme(name: str) -> str:
    programme = PROGRAMME_ALIASES.get(name, name)
    if programme not in PROGRAMME_ORGANISATION:
        allowed = ", ".join([*PROGRAMME_ALIASES, *PROGRAMME_ORGANISATION])
        fail(f"--programme: {name!r}; allowed values: {allowed}")
    return programme


def _number(value: float, decimals: int = 3) -> str:
    return "" if math.isnan(value) else f"{value:+.{decimals}f}"


def _decimals(result: Evaluation) -> int:
    """Three decimals for shares and small numbers, fewer for large ones (earnings)."""
    values = [abs(v) for e in result.estimates for v in (e.ci_low, e.ci_high, e.effect)]
    largest = max((v for v in values if not math.isnan(v)), default=0.0)
    return 3 if largest < 10 else 1 if largest < 1000 else 0


def _smd(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.3f}"


def _evaluation_table(result: Evaluation, truth: dict[str, float] | None) -> list[Table]:
    estimates = Table(
        *(
            Column(heading, no_wrap=True)
            for heading in (_("method"), _("estimand"), _("effect"), _("95 % CI"))
        ),
        title=_("Effect on the outcome, four ways"),
    )
    compared = Table(
        _("method"),
        _("treated"),
        _("untreated"),
        _("trimmed"),
        _("unmatched"),
        _("max |SMD| before"),
        _("max |SMD| after"),
        title=_("Who was compared, and the balance"),
    )
    decimals = _decimals(result)
    for item in result.estimates:
        estimates.add_row(
            item.method,
            item.estimand,
            _number(item.effect, decimals),
            f"[{_number(item.ci_low, decimals)}, {_number(item.ci_high, decimals)}]",
        )
        compared.add_row(
            item.method,
            str(item.n_treated),
            str(item.n_control),
            str(item.trimmed),
            str(item.unmatched),
            _smd(item.max_smd_before),
            _smd(item.max_smd_after),
        )
    captions = [
        _("ATT: effect on those who took part")
        if result.estimand == "att"
        else _("ATE: average effect on everyone in the sample")
    ]
    if truth is not None:
        captions.append(
            _("synthetic truth: ATE {ate:+.3f}, ATT {att:+.3f} (a job within 12 months)").format(
                ate=truth["ate"], att=truth["att"]
            )
        )
    estimates.caption = "; ".join(captions)
    return [estimates, compared, _balance_table(result)]


def _balance_table(result: Evaluation) -> Table:
    balance = Table(
        _("covariate"),
        _("treated mean"),
        _("untreated mean"),
        _("before"),
        _("weighted"),
        _("matched"),
        title=_("Standardised mean differences (|SMD| < 0.1 is balanced)"),
    )
    for row in result.balance.iter_rows(named=True):
        balance.add_row(
            row["covariate"],
            f"{row['mean_treated']:.3f}",
            f"{row['mean_control']:.3f}",
            f"{row['smd_before']:+.3f}",
            f"{row['smd_weighted']:+.3f}",
            f"{row['smd_matched']:+.3f}",
        )
    return balance


def _overlap_lines(result: Evaluation) -> list[str]:
    """The propensity terms used, who could not be compared, and the overlap warnings."""
    lines = [_("Input: {message}").format(message=note.message()) for note in result.notes]
    if result.outcome_kind == "continuous":
        lines.append(_("Outcome: continuous (linear outcome models; no E-value)."))
    if result.propensity is not None:
        lines.append(result.propensity.describe())
    overlap = result.overlap
    if overlap is None:
        return lines
    lines.append(
        _(
            "Overlap: {trimmed_t} participants and {trimmed_c} non-participants trimmed "
            "(weighting); {unmatched_t} participants and {unmatched_c} non-participants without "
            "a match within the caliper; {matched} distinct non-participants used as matches."
        ).format(
            trimmed_t=overlap.trimmed_treated,
            trimmed_c=overlap.trimmed_control,
            unmatched_t=overlap.unmatched_treated,
            unmatched_c=overlap.unmatched_control,
            matched=overlap.matched_controls,
        )
    )
    lines.extend(_("Warning: {message}").format(message=w.message()) for w in overlap.warnings)
    if result.missing_rows:
        lines.append(
            _("{rows} rows left out for a missing value (--missing drop).").format(
                rows=result.missing_rows
            )
        )
    return lines


InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        help=(
            "CSV, one row per person: treatment (0/1, true/false, yes/no), outcome (binary or "
            "a number) and covariates (numbers, booleans, text); docs/evaluation.md."
        ),
    ),
]
TreatmentOption = Annotated[str, typer.Option("--treatment", help="The treatment column.")]
OutcomeOption = Annotated[str, typer.Option("--outcome", help="The outcome column.")]
CovariatesOption = Annotated[
    str | None,
    typer.Option(
        "--covariates", help="Comma-separated (default: every other column but person_id)."
    ),
]
MissingOption = Annotated[
    Missing,
    typer.Option(
        "--missing",
        help=(
            "Missing values: refuse (default; the error names column and row), drop the rows, "
            "or indicator (covariates filled in and marked by a 0/1 column)."
        ),
    ),
]
OutcomeKindOption = Annotated[
    OutcomeKind,
    typer.Option(
        "--outcome-type",
        help="auto (default: binary if coded so, else continuous), binary or continuous.",
    ),
]


SyntheticPersonsOption = Annotated[
    int, typer.Option("--persons", min=1000, help="Synthetic persons to draw.")
]
SyntheticSeedOption = Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")]
SmallCellThresholdOption = Annotated[
    int, typer.Option("--threshold", min=1, help="Cells under this count are withheld.")
]
ProgrammeOption = Annotated[
    str, typer.Option("--programme", help="The programme (mentoring on synthetic data).")
]
MotivationOption = Annotated[
    Motivation,
    typer.Option(
        "--motivation", help="Synthetic data: motivation observed, a noisy proxy, or unobserved."
    ),
]
EstimandOption = Annotated[
    str,
    typer.Option(
        "--estimand",
        help="att (default): the effect on those who took part; ate: the average effect.",
    ),
]
PropensityTermsOption = Annotated[
    str,
    typer.Option(
        "--propensity-terms",
        help="auto (default: the best-balanced form), linear, squares or splines.",
    ),
]
LovePlotOption = Annotated[
    Path | None, typer.Option("--love-plot", help="Write the love plot (SVG) here.")
]
EvaluateFormatOption = Annotated[
    EvaluateFormat, typer.Option("--format", "-f", help="table (default), json or csv")
]


def evaluate(
    programme: ProgrammeOption = "mentoring",
    persons: SyntheticPersonsOption = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the data and the bootstrap.")] = 0,
    motivation: MotivationOption = Motivation.unobserved,
    input_path: InputOption = None,
    treatment: TreatmentOption = "treated",
    outcome: OutcomeOption = "outcome",
    covariates: CovariatesOption = None,
    missing: MissingOption = Missing.refuse,
    outcome_kind: OutcomeKindOption = OutcomeKind.auto,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=10)] = 200,
    estimand: EstimandOption = "att",
    propensity_terms: PropensityTermsOption = "auto",
    love_plot: LovePlotOption = None,
    output: EvaluateFormatOption = EvaluateFormat.table,
) -> None:
    """The effect of a programme on a job within 12 months, four ways (naive, matching,
    weighting, doubly robust) with bootstrap intervals, covariate balance and overlap, for
    the effect on participants (ATT, default) or the average effect (ATE)."""
    if estimand not in ESTIMAND_VALUES:
        fail(f"--estimand: {estimand!r}; allowed values: {', '.join(ESTIMAND_VALUES)}")
    if propensity_terms not in ("auto", *PROPENSITY_TERMS):
        allowed = ", ".join(("auto", *PROPENSITY_TERMS))
        fail(f"--propensity-terms: {propensity_terms!r}; allowed values: {allowed}")
    frame, truth = _evaluation_input(programme, persons, seed, motivation, input_path)
    names = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    try:
        quiet = output is not EvaluateFormat.table
        with Progress(console=errors, transient=True, disable=quiet) as bar:
            task = bar.add_task(_("bootstrap"), total=bootstrap)
            result = evaluate_programme(
                frame,
                treatment=treatment,
                outcome=outcome,
                covariates=names,
                estimand=estimand,
                propensity_terms=propensity_terms,
                n_bootstrap=bootstrap,
                seed=seed,
                progress=lambda step: bar.advance(task, step),
                missing=missing.value,
                outcome_kind=outcome_kind.value,
            )
    except EvaluationInputError as error:
        fail(str(error))
    _emit(result, truth, programme, love_plot, output)


def _emit(
    result: Evaluation,
    truth: dict[str, float] | None,
    programme: str,
    love_plot: Path | None,
    output: EvaluateFormat,
) -> None:
    """The love plot if asked, then the result as JSON, CSV or tables."""
    if love_plot is not None:
        love_plot.write_text(
            love_plot_svg(
                result.balance, _("Covariate balance: {programme}").format(programme=programme)
            ),
            encoding="utf-8",
        )
    if output is EvaluateFormat.json:
        data = result.to_json()
        data["programme"] = programme
        data["truth"] = truth
        print_json(_without_nan(data))
        return
    if output is EvaluateFormat.csv:
        sys.stdout.write(estimates_csv(result))
        return
    _print_evaluation(result, truth)


def _without_nan(value: object) -> object:
    """`value` with every NaN as None: JSON has no NaN (an E-value of a continuous outcome,
    an effective number where an arm has no weight)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


CSV_ESTIMATE_COLUMNS = (
    "estimand",
    "method",
    "effect",
    "ci_low",
    "ci_high",
    "n_treated",
    "n_control",
    "trimmed",
    "unmatched",
    "effective_treated",
    "effective_control",
    "max_smd_before",
    "max_smd_after",
)


def estimates_csv(result: Evaluation) -> str:
    """One row per method: the estimate, its interval, who was compared, the largest |SMD|
    before and after, the outcome kind, the propensity terms and the warning codes."""
    rows = [
        {
            **{name: getattr(item, name) for name in CSV_ESTIMATE_COLUMNS},
            "outcome_kind": result.outcome_kind,
            "propensity_terms": "" if result.propensity is None else result.propensity.terms,
            "warnings": ";".join(
                w.code
                for w in (result.overlap.warnings if result.overlap else ())
                if w.method == item.method or (item.method == "aipw" and w.method == "ipw")
            ),
        }
        for item in result.estimates
    ]
    return pl.DataFrame(rows).write_csv(float_precision=6)


def _evaluation_input(
    programme: str, persons: int, seed: int, motivation: Motivation, input_path: Path | None
) -> tuple[pl.DataFrame, dict[str, float] | None]:
    """The persons to evaluate on: the CSV file, or a synthetic cohort with its true effects
    (the mean of y1 - y0 over everyone and over participants)."""
    if input_path is not None:
        try:
            return read_input(input_path), None
        except (OSError, pl.exceptions.PolarsError) as error:
            fail(f"--input: cannot read {input_path}: {error}")
    if _programme(programme) != MENTORING:
        fail(f"--programme: {programme!r}; synthetic data know the effect of: mentoring")
    cohort = generate_cohort(
        CohortParameters(persons=persons, seed=seed, motivation=motivation.value)
    )
    frame = cohort.evaluation_sample()
    treated = frame.filter(pl.col("treated") == 1)
    truth = {
        "ate": float((frame["y1"] - frame["y0"]).cast(pl.Float64).to_numpy().mean()),
        "att": float((treated["y1"] - treated["y0"]).cast(pl.Float64).to_numpy().mean()),
    }
    return frame, truth


def read_input(path: Path) -> pl.DataFrame:
    """An --input CSV file: comma-, semicolon- or tab-separated (the header line decides);
    with semicolons, decimal commas are read when they make more columns numeric (as a
    spreadsheet in a French or Dutch locale writes them). The whole file decides each
    column's type, so that a text value on row 5 000 makes the column text, not an error."""
    with path.open(encoding="utf-8", errors="replace") as file:
        header = file.readline()
    separator = max((",", ";", "\t"), key=header.count)
    options = {"infer_schema_length": None, "null_values": MISSING_MARKS, "separator": separator}
    frame = pl.read_csv(path, **options)  # type: ignore[arg-type]
    if separator == ";":
        commas = pl.read_csv(path, decimal_comma=True, **options)  # type: ignore[arg-type]
        if _numeric(commas) > _numeric(frame):
            return commas
    return frame


def _numeric(frame: pl.DataFrame) -> int:
    return sum(dtype.is_numeric() for dtype in frame.schema.dtypes())


def _print_evaluation(result: Evaluation, truth: dict[str, float] | None) -> None:
    for table in _evaluation_table(result, truth):
        console.print(table)
    for line in _overlap_lines(result):
        console.print(line, highlight=False)
    if result.outcome_kind != "binary":
        return
    console.print(
        _(
            "Sensitivity (E-value): an unmeasured confounder associated with both the programme "
            "and the outcome by a risk ratio of {point:.2f} each, beyond the covariates, could "
            "explain the doubly-robust estimate away; {bound:.2f} could bring its interval to "
            "no effect."
        ).format(point=result.e_value, bound=result.e_value_ci)
    )


PeriodOption = Annotated[
    str, typer.Option("--period", help="YYYY, YYYY-Q1..Q4 or YYYY-MM (calendar periods only)")
]
EventsOption = Annotated[
    Path | None, typer.Option("--events", help="Events CSV (default: synthetic data).")
]
ReferralsOption = Annotated[Path | None, typer.Option("--referrals", help="Referral events CSV.")]
ReportFormatOption = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="table (default), csv, json, pdf or xlsx")
]
ReportLanguageOption = Annotated[
    str, typer.Option("--language", "-l", help="Labels in fr, nl, en (default) or ar.")
]
ReportFileOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="PDF or XLSX file (default: report-ID-PERIOD.pdf/.xlsx)."),
]
CellKeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--cell-key-file",
        help=(
            "Secret of the cell-key perturbation (64+ hex digits; `passerelle encode "
            "--new-key FILE` makes one); needed with --events. Keep it: the same secret "
            "gives the same figures."
        ),
    ),
]
ReportPlatformOption = Annotated[
    bool,
    typer.Option(
        "--platform",
        help=(
            "The platform's own records (its database and the server's cell-key secret "
            "and threshold, as on the report page), instead of CSV files or synthetic data."
        ),
    ),
]


@dataclass(frozen=True)
class ReportOutput:
    """How one funder report is written, besides its figures."""

    name: str
    period: str
    window: tuple[dt.date, dt.date]
    threshold: int
    synthetic: bool
    language: str
    output: ReportFormat
    output_path: Path | None


def report(
    programme: Annotated[str, typer.Option("--programme", help="The programme id.")],
    period: PeriodOption,
    events_path: EventsOption = None,
    referrals_path: ReferralsOption = None,
    persons: SyntheticPersonsOption = 20_000,
    seed: SyntheticSeedOption = 0,
    threshold: SmallCellThresholdOption = 5,
    output: ReportFormatOption = ReportFormat.table,
    language: ReportLanguageOption = "en",
    output_path: ReportFileOption = None,
    cell_key_file: CellKeyFileOption = None,
    platform: ReportPlatformOption = False,
) -> None:
    """A funder report of one programme over a period: unique beneficiaries, outcomes at 6
    and 12 months, waiting times, referrals in and out; cells under the threshold withheld
    and every count perturbed by its cell key (docs/indicators.md, "Differencing")."""
    window = _report_window(period, language, output)
    if platform:
        if events_path or referrals_path or cell_key_file:
            fail(
                "--platform: reads the platform's records; leave out --events, --referrals "
                "and --cell-key-file"
            )
        events, referrals, name, secret, threshold = _platform_report_inputs(programme, threshold)
    else:
        events, referrals, name, secret = _report_inputs(
            programme, events_path, referrals_path, persons, seed, cell_key_file
        )
    how = ReportOutput(
        name=name,
        period=period,
        window=window,
        threshold=threshold,
        synthetic=events_path is None and not platform,
        language=language,
        output=output,
        output_path=output_path,
    )
    with language_of(language):
        frame = funder_report(events, referrals, name, window, threshold=threshold, secret=secret)
        _write_report(frame, how)


def _report_window(period: str, language: str, output: ReportFormat) -> tuple[dt.date, dt.date]:
    """The report's first and last day, after checking the language for the format."""
    if language not in REPORT_LANGUAGES:
        fail(f"--language: {language!r}; allowed values: {', '.join(REPORT_LANGUAGES)}")
    if output is ReportFormat.pdf and language not in PDF_LANGUAGES:
        fail(f"--language: {language!r} for a PDF; allowed values: {', '.join(PDF_LANGUAGES)}")
    try:
        return parse_period(period)
    except ValueError as error:
        fail(f"--{error}")


def _write_report(frame: pl.DataFrame, how: ReportOutput) -> None:
    """The report on stdout (table, CSV, JSON) or in a PDF or XLSX file, in the installed
    language."""
    if how.output is ReportFormat.table:
        console.print(_report_table(frame, how.name, how.window))
        return
    translated = translated_report(frame, _)
    if how.output is ReportFormat.json:
        print_json(
            {
                "programme": how.name,
                "period": [how.window[0].isoformat(), how.window[1].isoformat()],
                "threshold": how.threshold,
                "rows": translated.to_dicts(),
            }
        )
    elif how.output is ReportFormat.csv:
        sys.stdout.write(report_csv(translated, synthetic=how.synthetic))
    else:
        suffix = "pdf" if how.output is ReportFormat.pdf else "xlsx"
        default = Path(f"report-{how.name}-{how.period.replace(':', '_')}.{suffix}")
        target = how.output_path or default
        target.write_bytes(_report_document(translated, how))
        console.print(_("Report written to {path}").format(path=target))


def _report_document(translated: pl.DataFrame, how: ReportOutput) -> bytes:
    """The report as a PDF (the programme's title in the report's language) or an XLSX
    workbook."""
    if how.output is ReportFormat.pdf:
        return report_pdf(
            translated,
            programme=_programme_title(how.name, how.language),
            period=how.window,
            threshold=how.threshold,
            synthetic=how.synthetic,
        )
    return report_xlsx(
        translated,
        programme=how.name,
        period=how.window,
        threshold=how.threshold,
        synthetic=how.synthetic,
        right_to_left=how.language == "ar",
    )


def _report_inputs(
    programme: str,
    events_path: Path | None,
    referrals_path: Path | None,
    persons: int,
    seed: int,
    cell_key_file: Path | None,
) -> tuple[pl.DataFrame, pl.DataFrame, str, bytes]:
    """Events, referrals, the programme's id and the cell-key secret: read from the CSV
    files with the user's secret, or a synthetic cohort with the synthetic one."""
    if (events_path is None) != (referrals_path is None):
        fail("--events and --referrals: give both CSV files, or neither for synthetic data")
    if events_path is not None and referrals_path is not None:
        try:
            events = read_csv(events_path, "events")
            referrals = read_csv(referrals_path, "referrals")
        except (IndicatorInputError, OSError) as error:
            fail(str(error))
        name = programme
    else:
        name = _programme(programme)
        cohort = generate_cohort(CohortParameters(persons=persons, seed=seed))
        events, referrals = cohort.events, cohort.referrals
    if cell_key_file is not None:
        from passerelle.core.linkage.bloom import KeyFileError, load_key  # linkage: slow import

        try:
            return events, referrals, name, load_key(cell_key_file)
        except KeyFileError as error:
            fail(f"--cell-key-file: {error}")
    if events_path is not None:
        fail(
            "--cell-key-file: needed with --events: the report's counts are perturbed with a "
            "secret of yours (`passerelle encode --new-key FILE` makes one)"
        )
    return events, referrals, name, SYNTHETIC_SECRET


def _platform_report_inputs(
    programme: str, threshold: int
) -> tuple[pl.DataFrame, pl.DataFrame, str, bytes, int]:
    """Events, referrals, programme, secret and threshold from the platform's records: the
    figures of the report page for the sector (the settings' threshold if it is higher)."""
    django_setup()
    from passerelle.web.apps.monitoring import data, selectors

    programmes = selectors.programmes_in(selectors.SECTOR)
    if programme not in programmes:
        shown = ", ".join(programmes[:20]) + (" ..." if len(programmes) > 20 else "")
        fail(f"--programme: {programme!r} is not a programme of the directory; allowed: {shown}")
    frames = data.platform_frames()
    return (
        frames.events,
        frames.referrals,
        programme,
        data.cell_key_secret(),
        max(threshold, data.threshold()),
    )


def _programme_title(name: str, language: str) -> str:
    knowledge = load_knowledge()
    if name in knowledge.programmes:
        return f"{knowledge.programme_latest(name).names.get(language)} ({name})"
    return name


def _report_table(frame: pl.DataFrame, name: str, window: tuple[dt.date, dt.date]) -> Table:
    """The report's rows (`report_rows`) as a terminal table in the installed language."""
    table = Table(
        title=_("{programme}, {start} to {end}").format(
            programme=name, start=window[0], end=window[1]
        )
    )
    for heading in HEADINGS:
        table.add_column(_(heading))
    withheld = _("withheld")
    for row in report_rows(frame):
        table.add_row(*row.cells(_, withheld))
    return table


IndicatorFrames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]
"""Persons, events, referrals and capacity, as `standard_indicators` reads them."""


def indicators(
    directory: Annotated[Path, typer.Argument(help="Directory to write (created if missing).")],
    persons_path: Annotated[
        Path | None, typer.Option("--persons-csv", help="Persons CSV (default: synthetic data).")
    ] = None,
    events_path: Annotated[Path | None, typer.Option("--events-csv")] = None,
    referrals_path: Annotated[Path | None, typer.Option("--referrals-csv")] = None,
    capacity_path: Annotated[Path | None, typer.Option("--capacity-csv")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Day of the data, YYYY-MM-DD (synthetic: 2025-12-31)."),
    ] = None,
    persons: SyntheticPersonsOption = 20_000,
    seed: SyntheticSeedOption = 0,
    threshold: SmallCellThresholdOption = 5,
    platform: Annotated[
        bool,
        typer.Option(
            "--platform", help="The platform's own records (its database), not CSV or synthetic."
        ),
    ] = False,
) -> None:
    """Write the standard indicator set as CSV files, small cells withheld: employment by
    cohort and breakdowns, time to a first job, programme outcomes, referrals, capacity."""
    paths = (persons_path, events_path, referrals_path, capacity_path)
    synthetic = not platform and persons_path is None
    if platform:
        if any(paths):
            fail("--platform: reads the platform's records; leave out the CSV inputs")
        frames, day, threshold = _platform_indicator_inputs(as_of, threshold)
    elif synthetic:
        if any(paths):
            fail("--persons-csv: needed with the other CSV inputs")
        cohort = generate_cohort(CohortParameters(persons=persons, seed=seed))
        frames = (cohort.persons, cohort.events, cohort.referrals, cohort.capacity)
        day = parse_date(as_of, "--as-of") if as_of else cohort.parameters.as_of
    else:
        frames = _indicator_csv_inputs(persons_path, events_path, referrals_path, capacity_path)
        day = parse_date(as_of, "--as-of")
    _write_indicators(frames, day, directory, threshold, synthetic=synthetic)


def _platform_indicator_inputs(
    as_of: str | None, threshold: int
) -> tuple[IndicatorFrames, dt.date, int]:
    """The platform's records, their day (or --as-of) and the settings' threshold if it is
    higher than `threshold`."""
    django_setup()
    from passerelle.web.apps.monitoring import data

    source = data.platform_frames()
    frames = (source.persons, source.events, source.referrals, source.capacity)
    day = parse_date(as_of, "--as-of") if as_of else source.as_of
    return frames, day, max(threshold, data.threshold())


def _indicator_csv_inputs(
    persons_path: Path | None,
    events_path: Path | None,
    referrals_path: Path | None,
    capacity_path: Path | None,
) -> IndicatorFrames:
    """The CSV inputs; persons and events are needed, referrals and capacity optional."""
    persons_file = persons_path or fail("--persons-csv: needed with the other CSV inputs")
    events_file = events_path or fail("--events-csv: needed with --persons-csv")
    try:
        return (
            read_csv(persons_file, "persons"),
            read_csv(events_file, "events"),
            read_csv(referrals_path, "referrals") if referrals_path else None,
            read_csv(capacity_path, "capacity") if capacity_path else None,
        )
    except (IndicatorInputError, OSError) as error:
        fail(str(error))


def _write_indicators(
    frames: IndicatorFrames, day: dt.date, directory: Path, threshold: int, *, synthetic: bool
) -> None:
    """One CSV file per indicator in `directory`, small cells withheld, and a summary table."""
    computed = standard_indicators(*frames, day)
    directory.mkdir(parents=True, exist_ok=True)
    title = _("Indicators on {day} in {directory}").format(day=day, directory=directory)
    summary = Table(_("file"), _("rows"), _("withheld"), title=title)
    with Progress(console=errors, transient=True) as bar:
        task = bar.add_task(_("indicators"), total=len(computed))
        for name, compute in computed.items():
            frame = suppress_small_cells(compute(), threshold, counts=export_counts(name))
            if synthetic:  # whoever opens one file alone reads that no real person is in it
                frame = frame.with_columns(data_source=pl.lit(SYNTHETIC_SOURCE))
            frame.write_csv(directory / f"{name}.csv")
            summary.add_row(f"{name}.csv", str(frame.height), str(frame["suppressed"].sum()))
            bar.advance(task)
    console.print(summary)

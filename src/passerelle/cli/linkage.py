"""`passerelle dedupe` and `passerelle encode`: unique beneficiaries across organisations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from passerelle.cli.common import (
    FormatOption,
    LinkThresholdOption,
    OutputFormat,
    console,
    fail,
    print_json_line,
)
from passerelle.core.i18n import _
from passerelle.core.linkage import (
    DEFAULT_THRESHOLD,
    KeyFileError,
    LinkageInputError,
    LinkageRun,
    dedupe,
    dedupe_encoded,
    encode,
    generate_key,
    load_key,
)

_STEPS = 6


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema=False)
    except FileNotFoundError:
        fail(_("{path}: no such file").format(path=path))
    except (pl.exceptions.ComputeError, OSError, UnicodeDecodeError) as error:
        fail(_("{path}: not a readable CSV file ({error})").format(path=path, error=error))


def _summary(clusters: pl.DataFrame) -> dict[str, int]:
    sizes = clusters.group_by("cluster_id").len()["len"]
    return {
        "records": clusters.height,
        "persons": sizes.len(),
        "persons_with_several_records": int((sizes > 1).sum()),
        "largest_cluster": int(sizes.max() or 0),  # type: ignore[arg-type]
    }


def dedupe_command(
    input_csv: Annotated[Path, typer.Argument(help="CSV of records, or of encodings.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write record_id,cluster_id.")],
    private: Annotated[
        bool, typer.Option("--private", help="Encode with --key-file first; link encodings only.")
    ] = False,
    encoded: Annotated[
        bool, typer.Option("--encoded", help="INPUT holds encodings from `passerelle encode`.")
    ] = False,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Sector key for --private.")
    ] = None,
    threshold: LinkThresholdOption = DEFAULT_THRESHOLD,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Find the same person across records and write one cluster id per record."""
    if not 0.0 < threshold < 1.0:
        fail(
            _("--threshold: {value} is not a probability; expected 0 < P < 1").format(
                value=threshold
            )
        )
    if private and encoded:
        fail(_("--private and --encoded: choose one (encoded input is already private)"))
    records = _read_csv(input_csv)
    key = _private_key(key_file) if private else None
    run = _run_dedupe(records, encoded=encoded, threshold=threshold, key=key, output=output)
    run.clusters.sort("record_id").write_csv(out)
    summary = _summary(run.clusters)
    if output == OutputFormat.json:
        print_json_line({**summary, "out": str(out)})
        return
    console.print(
        _(
            "{records} records → {persons} persons ({several} with several records; "
            "largest cluster {largest}); written to {out}"
        ).format(
            records=summary["records"],
            persons=summary["persons"],
            several=summary["persons_with_several_records"],
            largest=summary["largest_cluster"],
            out=out,
        )
    )


def _private_key(key_file: Path | None) -> bytes:
    """The sector key of --private, or a one-line failure."""
    if key_file is None:
        fail(_("--key-file: required with --private"))
    try:
        return load_key(key_file)
    except KeyFileError as error:
        fail(str(error))


def _run_dedupe(
    records: pl.DataFrame,
    *,
    encoded: bool,
    threshold: float,
    key: bytes | None,
    output: OutputFormat,
) -> LinkageRun:
    """The linkage behind a spinner of its steps (shown only with the table output)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console if output == OutputFormat.table else None,
        transient=True,
        disable=output != OutputFormat.table,
    ) as bar:
        task = bar.add_task(_("reading"), total=_STEPS)

        def step(message: str) -> None:
            bar.update(task, description=message, advance=1)

        try:
            if encoded:
                return dedupe_encoded(records, threshold=threshold, progress=step)
            return dedupe(records, threshold=threshold, private_key=key, progress=step)
        except LinkageInputError as error:
            fail(str(error))


def encode_command(
    input_csv: Annotated[Path, typer.Argument(help="CSV of records to encode.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The sector key file.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the encodings.")],
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Create KEY_FILE with a new random key first.")
    ] = False,
) -> None:
    """Encode records into keyed Bloom filters and tokens that can be shared."""
    if new_key:
        if key_file.exists():
            fail(
                _("--key-file: {path} exists; --new-key never overwrites a key").format(
                    path=key_file
                )
            )
        key_file.write_text(generate_key() + "\n", encoding="utf-8")
        key_file.chmod(0o600)
    try:
        key = load_key(key_file)
    except KeyFileError as error:
        fail(str(error))
    records = _read_csv(input_csv)
    try:
        encoded = encode(records, key)
    except LinkageInputError as error:
        fail(str(error))
    encoded.write_csv(out)
    console.print(
        _("{count} records encoded; written to {out}").format(count=encoded.height, out=out)
    )

"""A linkage model trained by the engine (`dedupe_encoded`) on synthetic encodings (SYNTHETIC
DATA ONLY), kept as a file so that tests that need a trained run's model do not train one
(training takes most of a run's time). Its m and u probabilities do not depend on the key.

Regenerate it when the engine's comparisons change:
`PYTHONPATH=src python -m tests.support.linkage_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).parent / "data" / "linkage_model.json"
PERSONS, SEED = 600, 23


def trained_model() -> dict[str, Any]:
    model: dict[str, Any] = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return model


def main() -> None:
    from passerelle.core.linkage import dedupe_encoded, encode
    from passerelle.core.linkage.synthetic import generate

    records = generate(PERSONS, seed=SEED)
    model = dedupe_encoded(encode(records, bytes(range(32)))).model
    MODEL_FILE.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

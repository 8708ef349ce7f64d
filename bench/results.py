"""Where the gateway benches keep their JSON reports (gitignored), one file per run, stamped in UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def save_report(report: dict[str, Any], output: Path, name: str) -> None:
    """Write `report` as `<output>/<name>-<UTC stamp>.json` and say where it went."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {path} ({report['seconds']} s)")

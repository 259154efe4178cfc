"""Derive the package's layout data from ../shared/reference/cclf_layouts.csv.

Run once when the reference changes; the output is committed as package data so the
package never reads ../shared at run time. The derivation adds what a parser needs and
the reference leaves implicit (see src/aco_pipeline/layouts/README.md).

    python scripts/derive_layouts.py ../shared/reference/cclf_layouts.csv
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "aco_pipeline" / "layouts" / "cclf_fields.csv"

# CCLF5 prints two amounts as X(15)/X(17) although they hold signed explicit-decimal money
# (IP v40 Appendix B, CCLF5 table): parse them as -9(11).99 / -9(13).99.
AMOUNT_OVERRIDES = {
    ("CCLF5", "CLM_LINE_CVRD_PD_AMT"): "-9(11).99",
    ("CCLF5", "CLM_LINE_ALOWD_CHRG_AMT"): "-9(13).99",
}

AMOUNT = re.compile(r"^-9\((\d+)\)\.(9+)$")
DIGITS = re.compile(r"^9\((\d+)\)$")
TEXT = re.compile(r"^X\((\d+)\)$", re.IGNORECASE)


def classify(data_type: str) -> tuple[str, str, str]:
    """Return (kind, precision, scale) for a COBOL-style picture."""
    if data_type == "YYYY-MM-DD":
        return "date", "", ""
    if m := AMOUNT.match(data_type):
        integer_digits, scale = int(m.group(1)), len(m.group(2))
        return "decimal", str(integer_digits + scale), str(scale)
    if DIGITS.match(data_type):
        return "digits", "", ""
    if TEXT.match(data_type):
        return "text", "", ""
    raise ValueError(f"unknown picture {data_type!r}")


def main(src: str) -> None:
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out_cols = [
        "layout", "field_order", "field_name", "start", "length", "data_type",
        "kind", "precision", "scale", "phi", "description",
    ]
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=out_cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            layout, name = r["file_type"], r["field_name"]
            picture = AMOUNT_OVERRIDES.get((layout, name), r["data_type"])
            kind, precision, scale = classify(picture)
            desc = r["description"]
            w.writerow({
                "layout": layout,
                "field_order": r["field_order"],
                "field_name": name.lower(),
                "start": r["start"],
                "length": r["length"],
                "data_type": r["data_type"],
                "kind": kind,
                "precision": precision,
                "scale": scale,
                "phi": "1" if ("[PHI]" in desc or "[PII" in desc) else "0",
                "description": re.sub(r"\s*\[(PII/PHI|PHI|PII)\]\s*$", "", desc).strip(),
            })
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/cclf_layouts.csv")

"""The claim-incremental rule, checked on the dbt project's text (macros/incremental_claims.sql).

A model configured with `claim_incremental_config` reads every claim input (a claim model or a
CCLF staging model) through `claim_ref`, never a plain `ref`; `claim_ref` is used only in such
models; no model or macro filters by hand (`claims_to_redo`, `natural_keys_to_redo` are gone).
"""

from __future__ import annotations

import re
from pathlib import Path

import aco_pipeline.warehouse as warehouse_pkg

PROJECT = Path(warehouse_pkg.__file__).parent / "dbt"
# the macros that define or apply the rule itself
RULE_MACROS = {"incremental_claims.sql", "incremental_tests.sql"}
CLAIM_STAGING = {f"stg_cclf{n}" for n in range(1, 8)}
PLAIN_REF = re.compile(r"(?<![\w.])ref\(\s*([^)]*)\)")
LITERAL = re.compile(r"""^'([a-z0-9_]+)'\s*(~)?""")


def _code(text: str) -> str:
    """The text without Jinja and SQL comments."""
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", text)


def _is_incremental(code: str) -> bool:
    return "claim_incremental_config(" in code


def claim_models(models: dict[str, str]) -> set[str]:
    return {name for name, code in models.items() if _is_incremental(code)} | CLAIM_STAGING


def violations(models: dict[str, str], macros: dict[str, str]) -> list[str]:
    """Every breach of the rule in these model and macro texts (name -> code)."""
    claims = claim_models(models)
    found = []

    def plain_claim_refs(code: str) -> list[str]:
        refs = []
        for args in PLAIN_REF.findall(code):
            literal = LITERAL.match(args.strip())
            if literal is None:
                refs.append(args)  # a ref of a variable: may be a claim input
            elif literal.group(2):
                if any(name.startswith(literal.group(1)) for name in claims):
                    refs.append(args)
            elif literal.group(1) in claims:
                refs.append(args)
        return refs

    for name, code in {**models, **macros}.items():
        for hand_filter in ("claims_to_redo(", "natural_keys_to_redo("):
            if hand_filter in code:
                found.append(f"{name}: filters by hand with {hand_filter[:-1]}")
    for name, code in models.items():
        if _is_incremental(code):
            found += [f"{name}: reads {ref} with a plain ref" for ref in plain_claim_refs(code)]
        elif "claim_ref(" in code:
            found.append(f"{name}: uses claim_ref but is not claim_incremental_config")
    for name, code in macros.items():
        if name not in RULE_MACROS:
            found += [f"{name}: reads {ref} with a plain ref" for ref in plain_claim_refs(code)]
    return found


def _read(folder: str) -> dict[str, str]:
    return {
        path.relative_to(PROJECT).as_posix(): _code(path.read_text())
        for path in sorted((PROJECT / folder).rglob("*.sql"))
    }


def _models() -> dict[str, str]:
    return {Path(name).stem: code for name, code in _read("models").items()}


def test_project_follows_the_claim_ref_rule():
    models = _models()
    assert len(claim_models(models) - CLAIM_STAGING) >= 25
    assert violations(models, {Path(n).name: c for n, c in _read("macros").items()}) == []


def test_rule_catches_a_plain_ref_and_a_stray_claim_ref():
    models = {
        "int_final_action_part_b": "{{ config(**claim_incremental_config('part_b')) }}",
        "fct_new": "{{ config(**claim_incremental_config('part_b')) }}\n"
        "select * from {{ ref('int_final_action_part_b') }}\n"
        "union all select * from {{ ref('int_final_action_' ~ fam) }}\n"
        "union all select * from {{ ref('hcpcs_categories') }}",
        "dim_new": "select * from {{ claim_ref('stg_cclf5', 'part_b') }}",
        "mart_new": "select * from {{ ref('int_final_action_part_b') }}",
    }
    macros = {"new.sql": "select * from {{ ref(model) }} where {{ claims_to_redo() }}"}
    assert violations(models, macros) == [
        "new.sql: filters by hand with claims_to_redo",
        "fct_new: reads 'int_final_action_part_b' with a plain ref",
        "fct_new: reads 'int_final_action_' ~ fam with a plain ref",
        "dim_new: uses claim_ref but is not claim_incremental_config",
        "new.sql: reads model with a plain ref",
    ]

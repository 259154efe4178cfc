{#-
  Claim-level incremental builds (DuckDB): a new monthly delivery re-derives only the claims it
  can change, in a copy of the published warehouse (warehouse/build.py decides when).

  The unit of work is a claim: (claim family, CUR_CLM_UNIQ_ID). Two models list the claims to
  redo; every incremental claim model deletes those claims' rows and inserts them re-derived
  from its (already current) inputs, read with `claim_ref` (filtered to the same claims, or
  their natural keys):

  1. int_claim_changes_delivered: claims with a row in a new delivery (CCLF1-7; CCLF2-4 rows
     name their Part A header) and claims whose MR_MBI changes under today's crosswalk (a new
     CCLF9). The version models (one row per distinct version, a function of the claim's own
     delivered rows) redo exactly these.
  2. int_claim_changes: every claim that shares a natural key (IP v40 5.1.2) with one of those,
     before or after the change. Final action pairs cancellations within a natural key, so
     these are all the claims whose final-action status can move; everything downstream of
     final action redoes them.

  A full build (fresh file, `--full-refresh`, Spark) never filters: `is_incremental()` is
  false and every model is a plain table. The equivalence of the two paths is tested table by
  table (tests/warehouse/test_incremental_build.py).
-#}


{#- The config of a claim model that can be rebuilt claim by claim: incremental with the
    `claim_replace` strategy on DuckDB, a table elsewhere (Spark always builds in full).
    `claim_family`: the family of every row, or none when the model has a claim_family column.
    `changes`: the model listing the claims to redo. -#}
{% macro claim_incremental_config(claim_family=none, changes='int_claim_changes') -%}
    {%- set incremental = target.type == 'duckdb' -%}
    {{ return({
        'materialized': 'incremental' if incremental else 'table',
        'incremental_strategy': 'claim_replace' if incremental else none,
        'claim_family': claim_family,
        'claim_changes': changes,
    }) }}
{%- endmacro %}


{#- A predicate keeping the rows of the claims listed in the relation `changes`: of family
    `claim_family` (claim id in `column`), or, with no family, of any family (rows with a
    `claim_family` column). The one definition of "a row of a listed claim", shared by the
    models, the `claim_replace` delete and the tests (macros/incremental_tests.sql). -#}
{% macro listed_claims(changes, claim_family=none, column='cur_clm_uniq_id') -%}
    {%- if claim_family -%}
        {{ column }} in (
            select cur_clm_uniq_id from {{ changes }} where claim_family = '{{ claim_family }}'
        )
    {%- else -%}
        {{ key_of(['claim_family', column]) }} in (
            select {{ key_of(['claim_family', 'cur_clm_uniq_id']) }} from {{ changes }}
        )
    {%- endif -%}
{%- endmacro %}


{#- The one way a claim-incremental model reads a claim input (a claim model or a CCLF
    staging model): `ref(name)`, restricted in an incremental run to the rows it needs.
    `rows`:
      'claims'       (default) the rows of the claims to redo (`listed_claims` of `changes`):
                     of family `claim_family` (claim id `cur_clm_uniq_id`), or of any
                     family when none (rows with a `claim_family` column);
      'natural_keys' every version of those claims' natural keys (column `natural_key`): a
                     claim's final action, or anything else decided per natural key, needs
                     every version of its keys, not only the claim's own;
      'all'          every row, on purpose (an input only joined to already restricted rows,
                     or read across claims).
    A full build (and Spark) reads the plain relation. The rows the model writes are
    restricted by the `claim_replace` strategy, whatever it read. Always refs `changes`, so
    dbt orders the model after it; a model not configured with `claim_incremental_config`
    (and the same `changes`) fails to compile. tests/warehouse/test_claim_ref_rule.py checks
    that no claim-incremental model reads a claim input with a plain `ref`. -#}
{% macro claim_ref(name, claim_family=none, rows='claims', changes='int_claim_changes') -%}
    {%- if rows not in ('claims', 'natural_keys', 'all') -%}
        {{ exceptions.raise_compiler_error("claim_ref: rows must be 'claims', 'natural_keys' or 'all', not '" ~ rows ~ "'") }}
    {%- endif -%}
    {%- if execute and model.resource_type == 'model' and config.get('claim_changes') != changes -%}
        {{ exceptions.raise_compiler_error("claim_ref('" ~ name ~ "') in " ~ this.identifier ~ ": the model must be configured with claim_incremental_config(changes='" ~ changes ~ "')") }}
    {%- endif -%}
    {%- set relation = ref(name) -%}
    {%- set changes_relation = ref(changes) -%}
    {%- if rows == 'all' or not is_incremental() -%}
        {{ relation }}
    {%- elif rows == 'claims' -%}
        (select * from {{ relation }} where {{ listed_claims(changes_relation, claim_family) }})
    {%- else -%}
        (select * from {{ relation }} where natural_key in (
            select natural_key from {{ relation }}
            where {{ listed_claims(changes_relation, claim_family) }}
        ))
    {%- endif -%}
{%- endmacro %}


{#- Custom incremental strategy `claim_replace`: delete the target's rows of the claims to
    redo, insert the re-derived ones (the model's rows of those claims: a model reading whole
    natural keys, or an input with rows='all', computes rows of other claims too, and they
    are not written). Unlike delete+insert on a unique key it also removes claims that now
    have no row (a claim that stopped being final action leaves fct_claim). -#}
{% macro get_incremental_claim_replace_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set listed = listed_claims(ref(config.get('claim_changes')), config.get('claim_family')) -%}
    delete from {{ target_relation }}
    where {{ listed }};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ temp_relation }}
    where {{ listed }}
{%- endmacro %}


{#- The published table of model `name` as it was before this run, or none (a fresh build).
    Read by the change models, which run before the model `name` rewrites it. -#}
{% macro previous_relation(name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier=name)) }}
{%- endmacro %}


{#- Per claim family: its version model and the lake files naming its claims. -#}
{% macro claim_families() -%}
    {{ return([
        {'family': 'part_a', 'versions': 'int_claim_versions_part_a',
         'final_action': 'int_final_action_part_a',
         'files': ['stg_cclf1', 'stg_cclf2', 'stg_cclf3', 'stg_cclf4']},
        {'family': 'part_b', 'versions': 'int_claim_versions_part_b',
         'final_action': 'int_final_action_part_b', 'files': ['stg_cclf5']},
        {'family': 'dme', 'versions': 'int_claim_versions_dme',
         'final_action': 'int_final_action_dme', 'files': ['stg_cclf6']},
        {'family': 'part_d', 'versions': 'int_claim_versions_part_d',
         'final_action': 'int_final_action_part_d', 'files': ['stg_cclf7']},
    ]) }}
{%- endmacro %}

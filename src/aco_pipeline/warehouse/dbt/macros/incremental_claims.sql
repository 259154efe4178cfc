{#-
  Claim-level incremental builds (DuckDB): a new monthly delivery re-derives only the claims it
  can change, in a copy of the published warehouse (warehouse/build.py decides when).

  The unit of work is a claim: (claim family, CUR_CLM_UNIQ_ID). Two models list the claims to
  redo; every incremental claim model deletes those claims' rows and inserts them re-derived
  from its (already current) inputs, filtered to the same claims:

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


{#- A predicate keeping the rows of the claims to redo (`listed_claims` of model `changes`) in
    an incremental run, `true` otherwise. Always refs `changes`, so dbt orders the model
    after it. -#}
{% macro claims_to_redo(claim_family=none, column='cur_clm_uniq_id',
                        changes='int_claim_changes') -%}
    {%- set relation = ref(changes) -%}
    {%- if is_incremental() -%}
        {{ listed_claims(relation, claim_family, column) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A predicate keeping the versions of `versions_model` (a model with `natural_key`) whose
    natural key is one of the claims to redo's: a claim's final action, or anything else
    decided per natural key, needs every version of its keys, not only the claim's own. -#}
{% macro natural_keys_to_redo(versions_model, claim_family) -%}
    {%- if is_incremental() -%}
        natural_key in (
            select natural_key from {{ ref(versions_model) }}
            where {{ claims_to_redo(claim_family) }}
        )
    {%- else -%}
        {{ claims_to_redo(claim_family) }}
    {%- endif -%}
{%- endmacro %}


{#- Custom incremental strategy `claim_replace`: delete the target's rows of the claims to
    redo, insert the re-derived ones (the model's SQL filtered with `claims_to_redo`). Unlike
    delete+insert on a unique key it also removes claims that now have no row (a claim that
    stopped being final action leaves fct_claim). -#}
{% macro get_incremental_claim_replace_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target_relation }}
    where {{ listed_claims(ref(config.get('claim_changes')), config.get('claim_family')) }};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ temp_relation }}
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

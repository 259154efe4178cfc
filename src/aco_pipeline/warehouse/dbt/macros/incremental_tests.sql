{#-
  Data tests in a claim-level incremental build (macros/incremental_claims.sql) check the rows
  the build wrote, not the rows it kept:

  - a claim model rebuilt claim by claim: the rows of the claims it redid. Every key these
    tests check starts with the claim (CUR_CLM_UNIQ_ID), so a redone row cannot collide with a
    kept one, and the kept rows passed the same tests when they were written;
  - a staging model of a claim file: the rows of the new deliveries (older deliveries are
    immutable and were tested when they arrived).

  dbt wraps the model of every generic test with `get_where_subquery` (its `where` config);
  this project-level override adds the restriction and keeps any `where`. Full builds, Spark
  and every other model are tested whole, as before.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set written = rows_written_condition(relation) -%}
    {%- if written -%}
        {%- do conditions.append(written) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ')
                      ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- The rows of `relation` an incremental claim build wrote, as a SQL condition; '' when the
    whole relation is to be tested. -#}
{% macro rows_written_condition(relation) -%}
    {%- set deliveries = var('claim_changes_deliveries', {}) -%}
    {%- if not execute or not deliveries or target.type != 'duckdb'
          or relation.identifier is none -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set name = relation.identifier -%}
    {%- if name.startswith('stg_cclf') and deliveries.get(name[4:]) -%}
        {%- do return("delivery_id in ('" ~ deliveries.get(name[4:]) | join("', '") ~ "')") -%}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == name
              and node.config.get('materialized') == 'incremental'
              and node.config.get('claim_changes') -%}
            {%- set changes = api.Relation.create(
                database=relation.database, schema=relation.schema,
                identifier=node.config.get('claim_changes')) -%}
            {%- do return(listed_claims(changes, node.config.get('claim_family'))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return('') -%}
{%- endmacro %}

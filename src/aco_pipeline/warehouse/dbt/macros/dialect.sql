{#-
  Every place where DuckDB and Spark SQL truly differ, one dispatch macro each. Models, seeds,
  macros and tests use dbt's cross-database macros (dbt.date_trunc, dbt.dateadd, dbt.concat,
  dbt.split_part, ...) for everything else; nothing below is needed by a model directly except
  through `lake_source`.
-#}


{#- The lake's Parquet for one source (a key of the var `lake_globs`), with the hive column
    `delivery` (the folder name delivery=<id>) and every delivery's columns merged by name.
    Used by the staging models: `select * from {{ lake_source('cclf1') }}`. -#}
{% macro lake_source(name) -%}
    {%- set globs = var('lake_globs', {}).get(name) -%}
    {%- if not globs -%}
        {{ exceptions.raise_compiler_error("var lake_globs has no entry for source '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(adapter.dispatch('lake_source', 'aco_warehouse')(name, globs)) }}
{%- endmacro %}


{% macro default__lake_source(name, globs) -%}
    {%- set quoted = [] -%}
    {%- for glob in globs %}{% do quoted.append("'" ~ glob | replace("'", "''") ~ "'") %}{% endfor -%}
    read_parquet([{{ quoted | join(', ') }}], hive_partitioning = true, union_by_name = true)
{%- endmacro %}


{#- Spark: query the files directly (a persistent view may not reference a temporary one) and
    take `delivery` from each row's file path (Spark only discovers hive partitions in the leaf
    folder, and the lake's layout is delivery=<id>/<file type>/part-0.parquet; file_path is a
    URI, so an id with characters outside [A-Za-z0-9._-] would come out percent-encoded, which
    CMS bundle names never need). Schemas of
    different deliveries are merged by name (spark.sql.parquet.mergeSchema, set by the
    on-run-start hook `lake_session_settings` and by the profile `aco build` writes). Several
    globs for one source are stacked with `union all`, so they must share one schema (the lake
    writes one layout per file type; `aco build` passes one glob per source). -#}
{% macro spark__lake_source(name, globs) -%}
    (
    {%- for glob in globs %}
        select
              lake_files.*
            , regexp_extract(lake_files._metadata.file_path, 'delivery=([^/]+)/', 1) as delivery
        from parquet.`{{ glob }}` as lake_files
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
    ) as {{ name }}_lake
{%- endmacro %}


{#- Session settings the lake reads need, run by the project's on-run-start hook. -#}
{% macro lake_session_settings() -%}
    {{ return(adapter.dispatch('lake_session_settings', 'aco_warehouse')()) }}
{%- endmacro %}

{% macro default__lake_session_settings() -%}
    select 1 as lake_session_settings
{%- endmacro %}

{% macro spark__lake_session_settings() -%}
    set spark.sql.parquet.mergeSchema = true
{%- endmacro %}


{#- Spark: the build's schema (database) lives where `aco build` says (var
    `spark_schema_location`: a fresh folder per build, published by a pointer file only when
    every node passed), whatever the session's spark.sql.warehouse.dir. Without the var (a
    cluster), the cluster's default location. -#}
{% macro spark__create_schema(relation) -%}
  {%- set location = var('spark_schema_location', none) -%}
  {%- call statement('create_schema') -%}
    create schema if not exists {{ relation }}
    {%- if location %} location '{{ location }}'{% endif %}
  {%- endcall -%}
{%- endmacro %}


{#- Spark seeds: dbt-spark's session cursor pastes each value into the SQL as '<value>' without
    escaping (a description like "Children's hospitals" breaks the statement) and binds empty
    cells as the text 'None'. This renders every value as an escaped Spark literal instead; the
    rows, casts and column types are the same as dbt-spark's own macro. -#}
{% macro aco_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value ~ '') | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ aco_spark_literal(row[loop.index0]) }} as {{ type }})
                  {%- if not loop.last %},{%- endif %}
              {%- endfor -%})
              {%- if not loop.last %},{%- endif %}
          {%- endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}

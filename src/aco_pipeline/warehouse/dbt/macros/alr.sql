{#-
  The report an ALR lake row came from, from its delivery name (cclf-notes.md, "Assignment
  List Report (ALR)"): P.A####.ACO.QALR.2024Q4.D...T...[_1-n] (quarterly) or
  P.A####.ACO.AALR.Y2024.D...T...[_1-n] (annual). A zip of tables is one delivery; a table
  sent as a loose CSV is a delivery of its own whose name ends in `_1-n`, so the report id is
  the name before the first `_` (CMS entity ids and stamps contain none): tables 1-2 and 1-4
  of one report share it however they were sent.
  Columns: report_type (quarterly / annual), period_start_month, period_end_month (first
  days of the report period's first and last month: the quarter, or the year), alr_report_id.
  Expects the hive column `delivery` in scope.
-#}
{% macro alr_report_columns() -%}
    {%- set kind = dbt.split_part('delivery', "'.'", 4) -%}
    {%- set period = dbt.split_part('delivery', "'.'", 5) -%}
    {%- set quarterly = kind ~ " = 'QALR'" -%}
    {%- set year = "case when " ~ quarterly ~ " then substring(" ~ period ~ ", 1, 4)"
                   ~ " else substring(" ~ period ~ ", 2, 4) end" -%}
    {%- set quarter = "cast(substring(" ~ period ~ ", 6, 1) as " ~ dbt.type_int() ~ ")" -%}
    {%- set year_start = "cast(" ~ dbt.concat([year, "'-01-01'"]) ~ " as date)" -%}
    {%- set first_index = "(case when " ~ quarterly ~ " then " ~ quarter ~ " * 3 - 3 else 0 end)" -%}
    {%- set last_index = "(case when " ~ quarterly ~ " then " ~ quarter ~ " * 3 - 1 else 11 end)" -%}
      case when {{ quarterly }} then 'quarterly' else 'annual' end as report_type
    , {{ month_start(dbt.dateadd('month', first_index, year_start)) }} as period_start_month
    , {{ month_start(dbt.dateadd('month', last_index, year_start)) }} as period_end_month
    , {{ dbt.split_part('delivery', "'_'", 1) }} as alr_report_id
{%- endmacro %}

{#-
  Attributes of the CCLF delivery a lake row came from. The delivery id is the CMS bundle
  name (IP v40 4.2): P.A####.ACO.ZCYyy.Dyymmdd.Thhmmsst, run-outs ZCRyy, weekly ZCWYyy.
  The lake's lineage column `delivery_date` is the bundle's D stamp (its creation date).
  The reference month of a delivery is the month before its creation (docs/synthetic-data.md).
  Expects the hive column `delivery` and the lineage column `delivery_date` in scope; does not
  repeat `delivery_date` itself (Spark refuses duplicate column names: models select it,
  usually through `source.*`).
-#}
{% macro cclf_delivery_columns() -%}
    {%- set bundle_part = dbt.split_part('delivery', "'.'", 4) -%}
      delivery as delivery_id
    , case substring({{ bundle_part }}, 3, 1)
        when 'R' then 'runout'
        when 'W' then 'weekly'
        else 'monthly'
      end as run_type
    , 2000 + cast({{ dbt.right(bundle_part, 2) }} as {{ dbt.type_int() }}) as file_performance_year
    , {{ month_start(dbt.dateadd('month', -1, 'delivery_date')) }} as reference_month
{%- endmacro %}


{#- First day of the month of a date expression, as a DATE on every engine (Spark's
    date_trunc returns a timestamp). -#}
{% macro month_start(expr) -%}
    cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}


{#- A single string key from several columns (NULL-safe), so natural keys can be joined with
    plain equality on every engine. -#}
{% macro key_of(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}


{#- CLM_ADJSMT_TYPE_CD as a small integer: 0 original, 1 cancellation, 2 adjustment
    (IP v40 4.4). -#}
{% macro adjustment_type(column) -%}
    cast({{ column }} as {{ dbt.type_int() }})
{%- endmacro %}


{#- Signed amount (IP v40 5.3.1): cancellations (adjustment type 1) are negated. -#}
{% macro signed_amount(amount, adjustment_type) -%}
    case when {{ adjustment_type }} = 1 then -{{ amount }} else {{ amount }} end
{%- endmacro %}

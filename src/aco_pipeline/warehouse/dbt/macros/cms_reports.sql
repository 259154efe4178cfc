{#-
  CMS's own reports (docs/cms-reports.md). The cell grain's columns as the staging models
  select them, and the order of re-deliveries: the `D…T…` stamp, a placeholder date
  (`D259999`, month-day 9999) before every real one (cms_reports.deliveries.order_key).
-#}

{% macro report_cell_columns() -%}
      delivery as delivery_id
    , bundle
    , source_file
    , family
    , aco_id
    , performance_year
    , benchmark_year
    , period
    , delivery_date
    , delivery_stamp
    , sheet
    , row_number
    , column_number
    , section_code
    , section_label
    , row_label
    , column_group
    , column_label
    , value_text
    , case when value_text = '-' then null
           else try_cast(value_text as decimal(38, 16)) end as value_number
{%- endmacro %}


{% macro report_delivery_order(stamp) -%}
    {{ dbt.concat(["case when substring(" ~ stamp ~ ", 4, 4) = '9999' then '0' else '1' end", stamp]) }}
{%- endmacro %}


{#- The cell grain of one family with `is_latest`: the delivery whose stamp is the latest
    within `partition_by` (a list of columns); with `superseded`, also `is_superseded` (not the
    latest: a later delivery replaces it). -#}
{% macro report_cells(source_name, partition_by, superseded=false) -%}
with source as (
    select * from {{ lake_source(source_name) }}
)

, cells as (
    select
        {{ report_cell_columns() }}
        , {{ report_delivery_order('delivery_stamp') }} as delivery_order
    from source
)

, ranked as (
    select
          cells.*
        , max(delivery_order) over (partition by {{ partition_by | join(', ') }}) as latest_order
    from cells
)

select
      delivery_id
    , bundle
    , source_file
    , family
    , aco_id
    , performance_year
    , benchmark_year
    , period
    , delivery_date
    , delivery_stamp
    , sheet
    , row_number
    , column_number
    , section_code
    , section_label
    , row_label
    , column_group
    , column_label
    , value_text
    , value_number
    , delivery_order = latest_order as is_latest
{%- if superseded %}
    , delivery_order <> latest_order as is_superseded
{%- endif %}
from ranked
{%- endmacro %}

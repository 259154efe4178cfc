{#- The earliest IDR load date of any version of each natural key (IP v40 5.1.2): when a
    service was first known, so that event counts can be cut off at a run-out date (IP v40
    3.4). `versions` and `categorized` are CTE names: one with version_key and natural_key,
    one with version_key and clm_idr_ld_dt. -#}
{% macro first_loaded_by_natural_key(versions, categorized) -%}
    select
          {{ versions }}.natural_key
        , min({{ categorized }}.clm_idr_ld_dt) as first_loaded_date
    from {{ versions }}
    inner join {{ categorized }}
        on {{ versions }}.version_key = {{ categorized }}.version_key
    group by {{ versions }}.natural_key
{%- endmacro %}

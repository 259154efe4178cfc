-- One row per payment of fct_claim_payment (every distinct Part A/B/DME version, final-action
-- Part D) with its service category and Medicare part, so that `aco report service-category`
-- can apply any period and run-out cut-off (IDR load date, IP v40 3.4) and its sums equal
-- `aco report spend`. visit_key: one ED/office visit (outpatient ED claim, or Part B
-- beneficiary and line date), set on final-action valid claims/lines only.
{{ config(**claim_incremental_config()) }}
{%- set families = ['part_a', 'part_b', 'dme', 'part_d'] %}
with
{%- for family in families %}
{{ ', ' if not loop.first }}{{ family }} as (
    select
          claim_family, version_key, cur_clm_uniq_id, clm_line_num, mr_mbi, clm_type_cd
        , service_category, medicare_part, service_date, clm_idr_ld_dt, signed_paid_amount
        , is_final_action, is_invalid, visit_key, visit_date
    from {{ claim_ref('int_service_category_' ~ family, family) }}
)
{% endfor %}
, unioned as (
{%- for family in families %}
    {{ 'union all' if not loop.first }}
    select * from {{ family }}
{%- endfor %}
)

select
      {{ key_of(['claim_family', 'version_key']) }} as payment_key
    , unioned.*
    , {{ month_start('service_date') }} as service_month
    , {{ month_start('visit_date') }} as visit_month
from unioned

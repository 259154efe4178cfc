-- One row per final-action claim version (IP v40 5.2): a Part A header (CCLF1), a Part B or
-- DME line (CCLF5/6, final action is decided per line), or a Part D event (CCLF7).
-- service_month: month of CLM_THRU_DT (Part A/B/DME; the version's own through date) or of
-- CLM_LINE_FROM_DT (Part D).
{{ config(**claim_incremental_config()) }}
with part_a as (
    select
          'part_a' as claim_family
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_from_dt
        , clm_thru_dt as service_date
        , clm_idr_ld_dt
        , clm_efctv_dt
        , cast(clm_pmt_amt as decimal(15, 2)) as paid_amount
        , delivery_id
    from {{ ref('int_final_action_part_a') }}
    where is_final_action
      and {{ claims_to_redo('part_a') }}
)

{#- Part B physician and DME lines have the same shape (IP v40 5.1.2: CLM_CNTL_NUM + line) #}
{%- for fam in ['part_b', 'dme'] %}
, {{ fam }} as (
    select
          '{{ fam }}' as claim_family
        , cur_clm_uniq_id
        , line_num as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_from_dt
        , clm_thru_dt as service_date
        , clm_idr_ld_dt
        , clm_efctv_dt
        , cast(clm_line_cvrd_pd_amt as decimal(15, 2)) as paid_amount
        , delivery_id
    from {{ ref('int_final_action_' ~ fam) }}
    where is_final_action
      and {{ claims_to_redo(fam) }}
)
{% endfor %}

, part_d as (
    select
          'part_d' as claim_family
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_line_from_dt as clm_from_dt
        , clm_line_from_dt as service_date
        , clm_idr_ld_dt
        , clm_efctv_dt
        , cast(clm_line_bene_pmt_amt as decimal(15, 2)) as paid_amount
        , delivery_id
    from {{ ref('int_final_action_part_d') }}
    where is_final_action
      and {{ claims_to_redo('part_d') }}
)

, unioned as (
    select * from part_a
    union all
    select * from part_b
    union all
    select * from dme
    union all
    select * from part_d
)

select
      {{ key_of(['claim_family', 'cur_clm_uniq_id', 'clm_line_num']) }} as claim_key
    , unioned.*
    , {{ month_start('service_date') }} as service_month
from unioned

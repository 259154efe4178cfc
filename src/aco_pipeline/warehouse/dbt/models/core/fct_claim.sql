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
    from {{ claim_ref('int_final_action_part_a', 'part_a') }}
    where is_final_action
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
    from {{ claim_ref('int_final_action_' ~ fam, fam) }}
    where is_final_action
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
    from {{ claim_ref('int_final_action_part_d', 'part_d') }}
    where is_final_action
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

-- the claim type's label beside its code (seed claim_type_codes)
, claim_types as (
    select clm_type_cd, claim_family, description as clm_type_label
    from {{ ref('claim_type_codes') }}
)

select
      {{ key_of(['unioned.claim_family', 'unioned.cur_clm_uniq_id', 'unioned.clm_line_num']) }} as claim_key
    , unioned.*
    , {{ month_start('unioned.service_date') }} as service_month
    , claim_types.clm_type_label
from unioned
left join claim_types
    on unioned.claim_family = claim_types.claim_family
    and trim(unioned.clm_type_cd) = claim_types.clm_type_cd

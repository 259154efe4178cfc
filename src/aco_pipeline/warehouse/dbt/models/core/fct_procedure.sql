-- ICD procedures of final-action Part A claims (CCLF3, IP v40 2.2.3), one row per claim and
-- procedure sequence (CLM_VAL_SQNC_NUM); a row re-sent in later deliveries counts once (the
-- most recently delivered copy). Read when the build passes var lake_globs.cclf3; empty
-- otherwise.
{%- set has_cclf3 = 'cclf3' in var('lake_globs') %}

{{ config(**claim_incremental_config('part_a')) }}
with part_a_claims as (
    select cur_clm_uniq_id, mr_mbi, clm_type_cd, clm_thru_dt
    from {{ claim_ref('int_final_action_part_a', 'part_a') }}
    where is_final_action
)

{%- if has_cclf3 %}

, procedure_copies as (
    select
          px.cur_clm_uniq_id
        , cast(px.clm_val_sqnc_num as {{ dbt.type_int() }}) as procedure_sequence
        , trim(px.clm_prcdr_cd) as icd_procedure_code
        , px.clm_prcdr_prfrm_dt as procedure_date
        , px.dgns_prcdr_icd_ind as icd_version_cd
        , row_number() over (
            partition by px.cur_clm_uniq_id, px.clm_val_sqnc_num
            order by px.delivery_date desc, px.delivery desc, px.line_number desc
          ) as copy_rank
    from {{ claim_ref('stg_cclf3', 'part_a') }} as px
    inner join part_a_claims
        on px.cur_clm_uniq_id = part_a_claims.cur_clm_uniq_id
    where px.clm_prcdr_cd is not null
      and trim(px.clm_prcdr_cd) <> ''
)

, procedures as (
    select
          part_a_claims.cur_clm_uniq_id
        , part_a_claims.mr_mbi
        , part_a_claims.clm_type_cd
        , part_a_claims.clm_thru_dt as service_date
        , procedure_copies.procedure_sequence
        , procedure_copies.icd_procedure_code
        , procedure_copies.procedure_date
        , procedure_copies.icd_version_cd
    from procedure_copies
    inner join part_a_claims
        on procedure_copies.cur_clm_uniq_id = part_a_claims.cur_clm_uniq_id
    where procedure_copies.copy_rank = 1
)
{%- else %}

, procedures as (
    select
          cur_clm_uniq_id
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt as service_date
        , cast(null as {{ dbt.type_int() }}) as procedure_sequence
        , cast(null as {{ dbt.type_string() }}) as icd_procedure_code
        , cast(null as date) as procedure_date
        , cast(null as {{ dbt.type_string() }}) as icd_version_cd
    from part_a_claims
    where 1 = 0
)
{%- endif %}

select
      {{ key_of(['cur_clm_uniq_id', 'procedure_sequence']) }} as procedure_key
    , {{ key_of(["'part_a'", 'cur_clm_uniq_id', 'cast(null as ' ~ dbt.type_int() ~ ')']) }} as claim_key
    , cur_clm_uniq_id
    , mr_mbi
    , clm_type_cd
    , service_date
    , procedure_sequence
    , icd_procedure_code
    , procedure_date
    , icd_version_cd
from procedures

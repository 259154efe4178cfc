-- Final-action valid Part B physician lines (CCLF5) with what the utilization events need
-- (docs/utilization.md): imaging modality (seed utilization_imaging_hcpcs: CT / MRI),
-- primary care service (seed primary_care_service_codes, 42 CFR 425.400(c), with its
-- place-of-service exclusion), the rendering provider's specialty group (CLM_PRVDR_SPCLTY_CD,
-- seed provider_specialty_groups; of the version's newest delivered copy,
-- int_final_action_part_b), ambulance HCPCS (seed utilization_ambulance_hcpcs), and first_loaded_date:
-- the earliest IDR load date of any version with the line's natural key (IP v40 5.1.2).
{{ config(**claim_incremental_config('part_b')) }}
with categorized as (
    select * from {{ claim_ref('int_service_category_part_b', rows='all') }}
)

, versions as (
    select
          version_key, natural_key, clm_line_from_dt
        , trim(clm_prvdr_spclty_cd) as clm_prvdr_spclty_cd
    from {{ claim_ref('int_final_action_part_b', 'part_b', rows='natural_keys') }}
)

, first_loaded as (
    {{ first_loaded_by_natural_key('versions', 'categorized') }}
)

, specialty_groups as (
    select clm_prvdr_spclty_cd, specialty_group
    from {{ ref('provider_specialty_groups') }}
)

, imaging as (
    select hcpcs_from, hcpcs_to, modality from {{ ref('utilization_imaging_hcpcs') }}
)

, primary_care as (
    select hcpcs_from, hcpcs_to, excluded_pos_cd
    from {{ ref('primary_care_service_codes') }}
)

, ambulance as (
    select hcpcs_from, hcpcs_to from {{ ref('utilization_ambulance_hcpcs') }}
)

, final_valid as (
    select
          categorized.*
        , trim(categorized.clm_line_hcpcs_cd) as hcpcs
        , versions.natural_key
        , versions.clm_line_from_dt
        , versions.clm_prvdr_spclty_cd
    from categorized
    inner join versions
        on categorized.version_key = versions.version_key
    where categorized.is_final_action
        and not categorized.is_invalid
)

, attributed as (
    select
          {{ key_of(['final_valid.claim_family', 'final_valid.cur_clm_uniq_id', 'final_valid.clm_line_num']) }} as claim_key
        , final_valid.version_key
        , final_valid.cur_clm_uniq_id
        , final_valid.clm_line_num
        , final_valid.mr_mbi
        , final_valid.clm_type_cd
        , final_valid.hcpcs
        , trim(final_valid.clm_pos_cd) as clm_pos_cd
        , final_valid.clm_prvdr_spclty_cd
        , specialty_groups.specialty_group
        , imaging.modality as imaging_modality
        , primary_care.hcpcs_from is not null
            and (primary_care.excluded_pos_cd is null
                or coalesce(trim(final_valid.clm_pos_cd), '') <> primary_care.excluded_pos_cd)
            as is_primary_care_service
        , ambulance.hcpcs_from is not null as is_ambulance
        , coalesce(final_valid.clm_line_from_dt, final_valid.service_date) as line_service_date
        , final_valid.clm_idr_ld_dt
        , first_loaded.first_loaded_date
        , final_valid.signed_paid_amount as paid_amount
    from final_valid
    left join first_loaded
        on final_valid.natural_key = first_loaded.natural_key
    left join specialty_groups
        on final_valid.clm_prvdr_spclty_cd = specialty_groups.clm_prvdr_spclty_cd
    left join imaging
        on {{ dbt.length('final_valid.hcpcs') }} = 5
        and final_valid.hcpcs between imaging.hcpcs_from and imaging.hcpcs_to
    left join primary_care
        on {{ dbt.length('final_valid.hcpcs') }} = 5
        and final_valid.hcpcs between primary_care.hcpcs_from and primary_care.hcpcs_to
    left join ambulance
        on {{ dbt.length('final_valid.hcpcs') }} = 5
        and final_valid.hcpcs between ambulance.hcpcs_from and ambulance.hcpcs_to
)

select * from attributed

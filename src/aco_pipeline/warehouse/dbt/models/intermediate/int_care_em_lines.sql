-- Primary-care evaluation & management lines: final-action, valid CCLF5 Part B lines
-- (IP v40 5.2, CMS guide v4 App. A phase 1) whose HCPCS is in seed primary_care_service_codes
-- (the primary care service codes of 42 CFR 425.400(c)), with the rendering TIN, NPI and
-- specialty (CCLF5 CLM_RNDRG_PRVDR_TAX_NUM, RNDRG_PRVDR_NPI_NUM, CLM_PRVDR_SPCLTY_CD) and
-- whether the specialty is primary care (seed provider_specialty_groups: primary_care or
-- np_pa_cns, 42 CFR 425.20 / 425.402). is_primary_care_service is false when the line is
-- billed with the range's excluded place of service (nursing facility codes in a SNF, POS
-- 31), as in int_utilization_part_b_lines. Every claim column is the version's newest
-- delivered copy (int_final_action_part_b, claim_versions macro).
{{ config(**claim_incremental_config('part_b')) }}
with final_lines as (
    select *
    from {{ claim_ref('int_final_action_part_b', 'part_b') }}
    where is_final_action
)

, validity as (
    select version_key, is_invalid from {{ claim_ref('int_claim_validity_part_b', 'part_b') }}
)

, em_codes as (
    select hcpcs_from, hcpcs_to, em_group, excluded_pos_cd, is_followup_visit
    from {{ ref('primary_care_service_codes') }}
)

, specialties as (
    select clm_prvdr_spclty_cd as specialty_cd
    from {{ ref('provider_specialty_groups') }}
    where specialty_group in ('primary_care', 'np_pa_cns')
)

, em_lines as (
    select
          final_lines.version_key
        , final_lines.cur_clm_uniq_id
        , final_lines.line_num as clm_line_num
        , final_lines.mr_mbi
        , coalesce(final_lines.clm_line_from_dt, final_lines.clm_thru_dt) as visit_date
        , trim(final_lines.clm_line_hcpcs_cd) as hcpcs_cd
        , em_codes.em_group
        , em_codes.excluded_pos_cd is null
            or coalesce(trim(final_lines.clm_pos_cd), '') <> em_codes.excluded_pos_cd
            as is_primary_care_service
        , em_codes.is_followup_visit
        , nullif(trim(final_lines.clm_rndrg_prvdr_tax_num), '') as tin
        , coalesce(
            nullif(trim(final_lines.rndrg_prvdr_npi_num), '')
          , nullif(trim(final_lines.clm_rndrg_prvdr_npi_num), '')
          ) as npi
        , trim(final_lines.clm_prvdr_spclty_cd) as specialty_cd
        , specialties.specialty_cd is not null as is_primary_care_specialty
        , coalesce(
            cast(final_lines.clm_line_alowd_chrg_amt as decimal(15, 2)), cast(0 as decimal(15, 2))
          ) as allowed_amount
        , cast(final_lines.clm_line_cvrd_pd_amt as decimal(15, 2)) as paid_amount
        , final_lines.clm_idr_ld_dt
    from final_lines
    inner join em_codes
        on trim(final_lines.clm_line_hcpcs_cd) between em_codes.hcpcs_from and em_codes.hcpcs_to
        and {{ dbt.length('trim(final_lines.clm_line_hcpcs_cd)') }} = 5
    left join validity
        on final_lines.version_key = validity.version_key
    left join specialties
        on trim(final_lines.clm_prvdr_spclty_cd) = specialties.specialty_cd
    where not coalesce(validity.is_invalid, false)
)

select * from em_lines

-- One row per primary-care E&M visit: beneficiary (MR_MBI), visit date, rendering TIN and NPI
-- (lines of int_care_em_lines on the same day with the same clinician are one visit). The
-- facts the care lists (follow-up after discharge) and the provider attribution read.
-- first_loaded_date: the IDR load date of the visit's first loaded line, i.e. from when on
-- the visit was known (IP v40 3.4), so an as-of list sees only what had arrived.
with lines as (
    select * from {{ ref('int_care_em_lines') }}
)

, visits as (
    select
          mr_mbi
        , visit_date
        , coalesce(tin, '') as tin
        , coalesce(npi, '') as npi
        , max(case when is_primary_care_service then 1 else 0 end) = 1 as is_primary_care_service
        , max(case when is_followup_visit then 1 else 0 end) = 1 as is_followup_visit
        , max(case when is_primary_care_specialty then 1 else 0 end) = 1
            as is_primary_care_specialty
        , max(specialty_cd) as specialty_cd
        , min(hcpcs_cd) as first_hcpcs_cd
        , count(*) as em_lines
        , cast(sum(allowed_amount) as decimal(18, 2)) as allowed_amount
        , cast(sum(paid_amount) as decimal(18, 2)) as paid_amount
        , min(clm_idr_ld_dt) as first_loaded_date
    from lines
    group by mr_mbi, visit_date, coalesce(tin, ''), coalesce(npi, '')
)

select
      {{ key_of(['mr_mbi', 'visit_date', 'tin', 'npi']) }} as em_visit_key
    , mr_mbi
    , visit_date
    , {{ month_start('visit_date') }} as visit_month
    , nullif(tin, '') as tin
    , nullif(npi, '') as npi
    , specialty_cd
    , is_primary_care_specialty
    , is_primary_care_service
    , is_followup_visit
    , first_hcpcs_cd
    , em_lines
    , allowed_amount
    , paid_amount
    , first_loaded_date
from visits

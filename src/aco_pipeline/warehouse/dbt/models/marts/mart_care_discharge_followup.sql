-- The facts behind `care_discharges_without_followup` (docs/care-management.md), one row per
-- live or expired inpatient claim (mart_care_inpatient_discharges) and candidate follow-up
-- visit: every follow-up E&M visit (mart_care_em_visits, is_followup_visit; seed
-- primary_care_service_codes) of the beneficiary on days 1..365 after the discharge day,
-- or one row with no visit when there is none. The list, as of a date D, keeps for each stay
-- the first visit on or before D that was loaded by D (first_loaded_date; IP v40 3.4), so
-- the same rows answer for every D.
--   transfer_known_date: the earliest IDR load date of another inpatient claim of the
--   beneficiary admitted on the discharge day or the day after (with another admission
--   date): from that date on the stay counts as a transfer, whose follow-up belongs to the
--   later stay.
-- Beside the codes: the discharge status label (seed care_discharge_status_codes), the
-- beneficiary's name, death date and attributed provider (int_care_beneficiary).
{%- set max_days = 365 %}
with stays as (
    select
          version_key, cur_clm_uniq_id, mr_mbi, ccn, ccn_facility_type, service_category
        , admission_date, discharge_date, discharge_status_cd, is_live_discharge, drg_cd
        , principal_diagnosis_cd, paid_amount, clm_idr_ld_dt
    from {{ ref('mart_care_inpatient_discharges') }}
)

, visits as (
    select em_visit_key, mr_mbi, visit_date, tin, npi, first_loaded_date
    from {{ ref('mart_care_em_visits') }}
    where is_followup_visit
)

, transfers as (
    select
          stays.version_key
        , min(later.clm_idr_ld_dt) as transfer_known_date
    from stays
    inner join stays as later
        on stays.mr_mbi = later.mr_mbi
        and later.admission_date >= stays.discharge_date
        and later.admission_date <= cast({{ dbt.dateadd('day', 1, 'stays.discharge_date') }} as date)
        and later.admission_date <> stays.admission_date
    group by stays.version_key
)

, candidate_visits as (
    select
          stays.version_key
        , visits.em_visit_key
        , visits.visit_date
        , visits.tin
        , visits.npi
        , visits.first_loaded_date
    from stays
    inner join visits
        on stays.mr_mbi = visits.mr_mbi
        and visits.visit_date > stays.discharge_date
        and visits.visit_date <= cast({{ dbt.dateadd('day', max_days, 'stays.discharge_date') }} as date)
)

, statuses as (
    select discharge_status_cd, description
    from {{ ref('care_discharge_status_codes') }}
)

, beneficiaries as (
    select mr_mbi, beneficiary_name, death_date, attributed_tin, attributed_npi
    from {{ ref('int_care_beneficiary') }}
)

select
      {{ key_of(['stays.version_key', 'candidate_visits.em_visit_key']) }} as followup_key
    , stays.version_key
    , stays.cur_clm_uniq_id
    , stays.mr_mbi
    , beneficiaries.beneficiary_name
    , beneficiaries.death_date
    , beneficiaries.attributed_tin
    , beneficiaries.attributed_npi
    , stays.ccn
    , stays.ccn_facility_type
    , stays.service_category
    , stays.admission_date
    , stays.discharge_date
    , stays.discharge_status_cd
    , statuses.description as discharge_status
    , stays.is_live_discharge
    , stays.drg_cd
    , stays.principal_diagnosis_cd
    , stays.paid_amount
    , stays.clm_idr_ld_dt
    , transfers.transfer_known_date
    , candidate_visits.em_visit_key
    , candidate_visits.visit_date
    , candidate_visits.tin as visit_tin
    , candidate_visits.npi as visit_npi
    , candidate_visits.first_loaded_date as visit_loaded_date
from stays
left join candidate_visits
    on stays.version_key = candidate_visits.version_key
left join transfers
    on stays.version_key = transfers.version_key
left join statuses
    on stays.discharge_status_cd = statuses.discharge_status_cd
left join beneficiaries
    on stays.mr_mbi = beneficiaries.mr_mbi

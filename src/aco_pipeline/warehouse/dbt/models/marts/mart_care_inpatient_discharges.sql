-- One row per final-action, valid inpatient claim (claim type 60/61; IP v40 5.2, CMS guide v4
-- App. A phase 1): admission (CLM_FROM_DT) and discharge (CLM_THRU_DT) dates, the patient
-- discharge status (BENE_PTNT_STUS_CD), and the next follow-up E&M visit after the discharge
-- (mart_care_em_visits, is_followup_visit) and the next inpatient admission, over every claim
-- delivered so far. Period-independent facts behind `care_discharges_without_followup`, which
-- re-applies the as-of load-date cut-off (IP v40 3.4).
with inpatient as (
    select version_key, cur_clm_uniq_id, mr_mbi, ccn, ccn_facility_type, service_category
    from {{ ref('int_service_category_part_a') }}
    where clm_type_cd in ('60', '61') and is_final_action and not is_invalid
)

, versions as (
    select
          version_key, clm_from_dt, clm_thru_dt, clm_pmt_amt, clm_idr_ld_dt, dgns_drg_cd
        , prncpl_dgns_cd, trim(bene_ptnt_stus_cd) as discharge_status_cd
    from {{ ref('int_final_action_part_a') }}
)

, stays as (
    select
          inpatient.version_key
        , inpatient.cur_clm_uniq_id
        , inpatient.mr_mbi
        , inpatient.ccn
        , inpatient.ccn_facility_type
        , inpatient.service_category
        , versions.clm_from_dt as admission_date
        , versions.clm_thru_dt as discharge_date
        , versions.discharge_status_cd
        -- NUBC patient status: 20, 40, 41, 42 expired; 30 still a patient (interim bill)
        , coalesce(versions.discharge_status_cd, '')
            not in ('20', '30', '40', '41', '42') as is_live_discharge
        , trim(versions.dgns_drg_cd) as drg_cd
        , trim(versions.prncpl_dgns_cd) as principal_diagnosis_cd
        , cast(versions.clm_pmt_amt as decimal(15, 2)) as paid_amount
        , versions.clm_idr_ld_dt
    from inpatient
    inner join versions
        on inpatient.version_key = versions.version_key
)

, followups as (
    select mr_mbi, visit_date, tin, npi
    from {{ ref('mart_care_em_visits') }}
    where is_followup_visit
)

-- the first follow-up visit strictly after the discharge day; same-day ties by TIN, NPI
, next_followup as (
    select version_key, visit_date, tin, npi
    from (
        select
              stays.version_key
            , followups.visit_date
            , followups.tin
            , followups.npi
            , row_number() over (
                partition by stays.version_key
                order by followups.visit_date, followups.tin, followups.npi
              ) as visit_rank
        from stays
        inner join followups
            on stays.mr_mbi = followups.mr_mbi
            and followups.visit_date > stays.discharge_date
    ) as ranked
    where visit_rank = 1
)

-- the next inpatient stay that starts on or after the discharge day (another claim)
, next_admission as (
    select
          stays.version_key
        , min(later.admission_date) as next_admission_date
    from stays
    inner join stays as later
        on stays.mr_mbi = later.mr_mbi
        and later.admission_date >= stays.discharge_date
        and later.version_key <> stays.version_key
    group by stays.version_key
)

select
      {{ key_of(["'part_a'", 'stays.cur_clm_uniq_id', 'cast(null as ' ~ dbt.type_int() ~ ')']) }}
        as claim_key
    , stays.version_key
    , stays.cur_clm_uniq_id
    , stays.mr_mbi
    , stays.ccn
    , stays.ccn_facility_type
    , stays.service_category
    , stays.admission_date
    , stays.discharge_date
    , stays.discharge_status_cd
    , stays.is_live_discharge
    , stays.drg_cd
    , stays.principal_diagnosis_cd
    , stays.paid_amount
    , stays.clm_idr_ld_dt
    , next_followup.visit_date as next_followup_date
    , next_followup.tin as next_followup_tin
    , next_followup.npi as next_followup_npi
    , {{ dbt.datediff('stays.discharge_date', 'next_followup.visit_date', 'day') }}
        as days_to_followup
    , coalesce({{ dbt.datediff('stays.discharge_date', 'next_followup.visit_date', 'day') }} <= 7,
               false) as followup_within_7_days
    , coalesce({{ dbt.datediff('stays.discharge_date', 'next_followup.visit_date', 'day') }} <= 14,
               false) as followup_within_14_days
    , next_admission.next_admission_date
    , {{ dbt.datediff('stays.discharge_date', 'next_admission.next_admission_date', 'day') }}
        as days_to_next_admission
from stays
left join next_followup
    on stays.version_key = next_followup.version_key
left join next_admission
    on stays.version_key = next_admission.version_key

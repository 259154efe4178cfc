-- One row per utilization event (docs/utilization.md), period-independent: the metrics
-- module (aco_pipeline.metrics.utilization) counts events per 1,000 person-years for any
-- period and run-out. event_type names follow the MSSP ACO PUF measures (puf_column).
-- clm_idr_ld_dt: the first IDR load date of the event's claim (of a stay: its first claim),
-- for the run-out cut-off (IP v40 3.4). Only final-action valid claims count.
-- enrollment_type / is_counted_month: the fct_member_month row of the event's beneficiary
-- and month (docs/metrics.md, counted person-month): an event counts in a rate only in a
-- counted month of the same beneficiary, under that month's enrollment type.
with stays as (
    select * from {{ ref('int_utilization_facility_stays') }}
)

, part_a as (
    select * from {{ ref('int_utilization_part_a_claims') }}
)

, part_b as (
    select * from {{ ref('int_utilization_part_b_lines') }}
)

, imaging as (
    select hcpcs_from, hcpcs_to, modality from {{ ref('utilization_imaging_hcpcs') }}
)

-- ADM (all inpatient stays) and ADM_S_Trm / _L_Trm / _Rehab / _Psych / other by stay type;
-- counted on the discharge date
, admissions as (
    select
          'adm' as event_type, stay_key as source_key, mr_mbi, discharge_date as event_date
        , first_claim_key as claim_key, clm_idr_ld_dt, admission_date, discharge_date
        , los_days, paid_amount
    from stays
    where stay_kind = 'inpatient'
    union all
    select
          {{ dbt.concat(["'adm_'", 'stay_type']) }} as event_type, stay_key as source_key
        , mr_mbi, discharge_date as event_date, first_claim_key as claim_key, clm_idr_ld_dt
        , admission_date, discharge_date, los_days, paid_amount
    from stays
    where stay_kind = 'inpatient'
)

-- P_EDV_Vis_HOSP: an inpatient stay with an ED revenue centre, on the admission date
-- (named *_puf: not the service-category ed_visit of mart_service_category_payment)
, ed_hospitalizations as (
    select
          'ed_visit_hosp_puf' as event_type, stay_key as source_key, mr_mbi
        , admission_date as event_date, first_claim_key as claim_key, clm_idr_ld_dt
        , admission_date, discharge_date
        , cast(null as {{ dbt.type_int() }}) as los_days
        , cast(null as decimal(18, 2)) as paid_amount
    from stays
    where stay_kind = 'inpatient' and has_ed_revenue
)

-- P_SNF_ADM, SNF_LOS, SNF_PayperStay: one event per SNF stay, on the discharge date
, snf_stays as (
    select
          'snf_adm' as event_type, stay_key as source_key, mr_mbi
        , discharge_date as event_date, first_claim_key as claim_key, clm_idr_ld_dt
        , admission_date, discharge_date, los_days, paid_amount
    from stays
    where stay_kind = 'snf'
)

-- P_EDV_Vis: an outpatient claim (40) with an ED revenue centre, one per claim
-- (service category ed_visit), not leading to an inpatient stay. Named ed_visit_puf: the
-- service-category `ed_visit` (mart_service_category_payment) also counts Part B ED E&M
-- lines, a different number
, ed_visits as (
    select
          'ed_visit_puf' as event_type, claim_key as source_key, mr_mbi
        , clm_thru_dt as event_date, claim_key, first_loaded_date as clm_idr_ld_dt
        , cast(null as date) as admission_date, cast(null as date) as discharge_date
        , cast(null as {{ dbt.type_int() }}) as los_days
        , cast(null as decimal(18, 2)) as paid_amount
    from part_a
    where clm_type_cd = '40' and service_category = 'ed_visit'
)

-- P_FQHC_RHC_Vis: an FQHC (77x) or RHC (71x) claim, one per claim
, fqhc_rhc_visits as (
    select
          'em_fqhc_rhc' as event_type, claim_key as source_key, mr_mbi
        , clm_thru_dt as event_date, claim_key, first_loaded_date as clm_idr_ld_dt
        , cast(null as date) as admission_date, cast(null as date) as discharge_date
        , cast(null as {{ dbt.type_int() }}) as los_days
        , cast(null as decimal(18, 2)) as paid_amount
    from part_a
    where clm_type_cd = '40' and fqhc_rhc_facility is not null
)

-- P_EM_PCP_Vis / P_EM_SP_Vis / P_Nurse_Vis: a Part B primary care service line, by the
-- rendering provider's specialty group; one per line
, em_services as (
    select
          {{ dbt.concat(["'em_'", 'specialty_group']) }} as event_type
        , claim_key as source_key, mr_mbi, line_service_date as event_date, claim_key
        , first_loaded_date as clm_idr_ld_dt
        , cast(null as date) as admission_date, cast(null as date) as discharge_date
        , cast(null as {{ dbt.type_int() }}) as los_days
        , cast(null as decimal(18, 2)) as paid_amount
    from part_b
    where is_primary_care_service and specialty_group is not null
)

-- P_CT_VIS / P_MRI_VIS: CT or MRI HCPCS on a Part B line or on a revenue line of an
-- outpatient claim (40); one event per beneficiary, service date and modality (the
-- professional and the facility claim of one scan are one event)
, outpatient_imaging_lines as (
    select
          lines.mr_mbi
        , imaging.modality
        , lines.line_service_date
        , lines.claim_key
        , part_a.first_loaded_date
    from {{ ref('fct_claim_line') }} as lines
    inner join part_a
        on lines.claim_key = part_a.claim_key
    inner join imaging
        on {{ dbt.length('trim(lines.hcpcs_cd)') }} = 5
        and trim(lines.hcpcs_cd) between imaging.hcpcs_from and imaging.hcpcs_to
    where lines.claim_family = 'part_a' and part_a.clm_type_cd = '40'
)

, imaging_lines as (
    select mr_mbi, modality, line_service_date, claim_key, first_loaded_date
    from outpatient_imaging_lines
    union all
    select mr_mbi, imaging_modality as modality, line_service_date, claim_key
         , first_loaded_date
    from part_b
    where imaging_modality is not null
)

, imaging_events as (
    select
          modality as event_type
        , {{ key_of(['mr_mbi', 'line_service_date']) }} as source_key
        , mr_mbi
        , line_service_date as event_date
        , min(claim_key) as claim_key
        , min(first_loaded_date) as clm_idr_ld_dt
        , cast(null as date) as admission_date, cast(null as date) as discharge_date
        , cast(null as {{ dbt.type_int() }}) as los_days
        , cast(null as decimal(18, 2)) as paid_amount
    from imaging_lines
    where line_service_date is not null
    group by modality, mr_mbi, line_service_date
)

, unioned as (
    select * from admissions
    union all
    select * from ed_hospitalizations
    union all
    select * from snf_stays
    union all
    select * from ed_visits
    union all
    select * from fqhc_rhc_visits
    union all
    select * from em_services
    union all
    select * from imaging_events
)

-- the month of each event
, events as (
    select
          {{ key_of(['event_type', 'source_key']) }} as event_key
        , event_type
        , mr_mbi
        , event_date
        , {{ month_start('event_date') }} as event_month
        , claim_key
        , clm_idr_ld_dt
        , admission_date
        , discharge_date
        , los_days
        , paid_amount
    from unioned
)

, member_months as (
    select mr_mbi, enrollment_month, enrollment_type, is_counted
    from {{ ref('fct_member_month') }}
)

select
      events.*
    , member_months.enrollment_type
    , coalesce(member_months.is_counted, false) as is_counted_month
from events
left join member_months
    on events.mr_mbi = member_months.mr_mbi
    and events.event_month = member_months.enrollment_month

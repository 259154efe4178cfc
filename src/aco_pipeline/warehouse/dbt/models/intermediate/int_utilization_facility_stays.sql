-- One row per inpatient (claim types 60/61) or SNF (20/30) stay: the final-action valid
-- claims of one MR_MBI at one CCN whose dates overlap or abut (a claim that starts on or
-- before the day after the latest through date so far continues the stay: interim bills,
-- IP v40 5.2.1 "more than one final action claim per key"). Gaps-and-islands with a running
-- maximum, no recursion (Spark-portable).
-- admission_date = first CLM_FROM_DT (CCLF1 has no admission date), discharge_date = last
-- CLM_THRU_DT, discharge status of the claim with the latest through date. los_days =
-- discharge - admission (the discharge day is not a day of care), plus one when the last
-- claim says still a patient (status 30), at least 1. paid_amount = CLM_PMT_AMT of the
-- stay's final-action claims. clm_idr_ld_dt = earliest first_loaded_date of its claims (when
-- the stay was first known, for run-out cut-offs).
with claims as (
    select
          case when clm_type_cd in ('60', '61') then 'inpatient' else 'snf' end as stay_kind
        , claim_key
        , mr_mbi
        , coalesce(ccn, '') as ccn
        , stay_type
        , has_ed_revenue
        , bene_ptnt_stus_cd
        , clm_from_dt
        , clm_thru_dt
        , first_loaded_date
        , paid_amount
        , cur_clm_uniq_id
    from {{ ref('int_utilization_part_a_claims') }}
    where clm_type_cd in ('20', '30', '60', '61')
        and clm_from_dt is not null
        and clm_thru_dt is not null
)

, running as (
    select
          claims.*
        , max(clm_thru_dt) over (
            partition by stay_kind, mr_mbi, ccn
            order by clm_from_dt, clm_thru_dt, cur_clm_uniq_id
            rows between unbounded preceding and 1 preceding
          ) as previous_thru_dt
    from claims
)

, starts as (
    select
          running.*
        , case
            when previous_thru_dt is null then 1
            when clm_from_dt > {{ dbt.dateadd('day', 1, 'previous_thru_dt') }} then 1
            else 0
          end as is_stay_start
    from running
)

, numbered as (
    select
          starts.*
        , sum(is_stay_start) over (
            partition by stay_kind, mr_mbi, ccn
            order by clm_from_dt, clm_thru_dt, cur_clm_uniq_id
            rows between unbounded preceding and current row
          ) as stay_number
    from starts
)

, last_claims as (
    select
          numbered.*
        , row_number() over (
            partition by stay_kind, mr_mbi, ccn, stay_number
            order by clm_thru_dt desc, clm_from_dt desc, cur_clm_uniq_id desc
          ) as last_rank
        , row_number() over (
            partition by stay_kind, mr_mbi, ccn, stay_number
            order by clm_from_dt, clm_thru_dt, cur_clm_uniq_id
          ) as first_rank
    from numbered
)

, stays as (
    select
          stay_kind
        , mr_mbi
        , ccn
        , stay_number
        , min(clm_from_dt) as admission_date
        , max(clm_thru_dt) as discharge_date
        , max(case when last_rank = 1 then bene_ptnt_stus_cd end) as discharge_status
        , max(case when first_rank = 1 then claim_key end) as first_claim_key
        , max(case when first_rank = 1 then stay_type end) as stay_type
        , max(case when has_ed_revenue then 1 else 0 end) = 1 as has_ed_revenue
        , count(*) as claim_count
        , min(first_loaded_date) as clm_idr_ld_dt
        , cast(sum(paid_amount) as decimal(18, 2)) as paid_amount
    from last_claims
    group by stay_kind, mr_mbi, ccn, stay_number
)

select
      {{ key_of(['stay_kind', 'mr_mbi', 'ccn', 'admission_date']) }} as stay_key
    , stay_kind
    , mr_mbi
    , ccn
    , stay_type
    , admission_date
    , discharge_date
    , discharge_status
    , greatest(
        {{ dbt.datediff('admission_date', 'discharge_date', 'day') }}
            + case when discharge_status = '30' then 1 else 0 end
        , 1
      ) as los_days
    , has_ed_revenue
    , claim_count
    , first_claim_key
    , clm_idr_ld_dt
    , paid_amount
from stays

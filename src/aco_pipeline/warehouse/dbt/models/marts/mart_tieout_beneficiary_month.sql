-- Per current MBI and month: listed in that month's monthly CCLF8, and in that month's BNEX
-- (opted out of data sharing), for the tie-out's "not in CCLF8 for some months" and
-- "opt-out covers all or part of the period" (CMS guide v4 Appendix A phase 2, Table 3 rows
-- 12-13). A month is a reference month (the month before the file's creation date). Rows only
-- where at least one of the two lists the beneficiary.
with cclf8_months as (
    select distinct mr_mbi, enrollment_month as month_start_date
    from {{ ref('int_enrollment_month') }}
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, bnex_months as (
    select distinct
          coalesce(crosswalk.current_mbi, bnex.bene_mbi_id) as mr_mbi
        , bnex.reference_month as month_start_date
    from {{ ref('stg_bnex') }} as bnex
    left join crosswalk
        on bnex.bene_mbi_id = crosswalk.previous_mbi
    where bnex.bene_mbi_id is not null
)

, joined as (
    select
          coalesce(cclf8_months.mr_mbi, bnex_months.mr_mbi) as mr_mbi
        , coalesce(cclf8_months.month_start_date, bnex_months.month_start_date) as month_start_date
        , cclf8_months.mr_mbi is not null as in_cclf8
        , bnex_months.mr_mbi is not null as opted_out
    from cclf8_months
    full outer join bnex_months
        on cclf8_months.mr_mbi = bnex_months.mr_mbi
        and cclf8_months.month_start_date = bnex_months.month_start_date
)

select
      {{ key_of(['mr_mbi', 'month_start_date']) }} as tieout_month_key
    , mr_mbi
    , month_start_date as enrollment_month
    , in_cclf8
    , opted_out
from joined

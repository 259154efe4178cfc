-- One row per beneficiary (MR_MBI) and month that a monthly CCLF8 or an ALR covers:
-- the CCLF-derived enrollment type (CMS guide Appendix B) beside the ALR's EnrollFlag.
with cclf as (
    select mr_mbi, enrollment_month, enrollment_type, died_before_month
    from {{ ref('int_enrollment_month') }}
)

, alr as (
    select mr_mbi, enrollment_month, alr_enrollment_type
    from {{ ref('int_alr_enrollment_month') }}
)

, joined as (
    select
          coalesce(cclf.mr_mbi, alr.mr_mbi) as mr_mbi
        , coalesce(cclf.enrollment_month, alr.enrollment_month) as enrollment_month
        , cclf.enrollment_type
        , alr.alr_enrollment_type
        , cclf.died_before_month
        , cclf.mr_mbi is not null as in_cclf8
        , alr.mr_mbi is not null as in_alr
    from cclf
    full outer join alr
        on cclf.mr_mbi = alr.mr_mbi
        and cclf.enrollment_month = alr.enrollment_month
)

select
      {{ key_of(['mr_mbi', 'enrollment_month']) }} as member_month_key
    , joined.*
from joined

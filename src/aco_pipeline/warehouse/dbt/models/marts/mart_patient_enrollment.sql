-- The patient page's enrollment and attribution history: one row per current MBI and month
-- that fct_member_month (CCLF8 / ALR enrollment) or mart_provider_attribution_month covers,
-- with the month's enrollment type and label (CMS guide Appendix B), the ALR's, the flags
-- alive / opted out / assigned, is_counted (the one counted person-month, docs/metrics.md),
-- and the TIN / NPI attributed in that month with the attribution's source.
with member_months as (
    select
          mr_mbi
        , enrollment_month
        , enrollment_type
        , enrollment_type_label
        , alr_enrollment_type
        , in_cclf8
        , in_alr
        , alive
        , opted_out
        , assigned
        , is_counted
    from {{ ref('fct_member_month') }}
)

, attribution as (
    select
          mr_mbi
        , attribution_month
        , attributed_tin
        , attributed_npi
        , attribution_source
    from {{ ref('mart_provider_attribution_month') }}
)

, joined as (
    select
          coalesce(member_months.mr_mbi, attribution.mr_mbi) as mr_mbi
        , coalesce(member_months.enrollment_month, attribution.attribution_month) as month
        , member_months.enrollment_type
        , member_months.enrollment_type_label
        , member_months.alr_enrollment_type
        , coalesce(member_months.in_cclf8, false) as in_cclf8
        , coalesce(member_months.in_alr, false) as in_alr
        , member_months.alive
        , member_months.opted_out
        , member_months.assigned
        , coalesce(member_months.is_counted, false) as is_counted
        , member_months.mr_mbi is not null as has_member_month
        , attribution.attributed_tin
        , attribution.attributed_npi
        , attribution.attribution_source
    from member_months
    full outer join attribution
        on member_months.mr_mbi = attribution.mr_mbi
        and member_months.enrollment_month = attribution.attribution_month
)

select
      {{ key_of(['mr_mbi', 'month']) }} as patient_month_key
    , joined.*
from joined

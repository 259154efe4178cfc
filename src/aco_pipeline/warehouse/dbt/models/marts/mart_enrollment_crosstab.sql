-- CCLF-derived enrollment type x ALR EnrollFlag per month, for beneficiary-months in both
-- (CMS guide Appendix B, Tables 23-34): one row per month and pair of codes 0-4, zeros
-- included, so each month is the guide's full 5 x 5 table.
with both_sources as (
    select enrollment_month, enrollment_type, alr_enrollment_type
    from {{ ref('fct_member_month') }}
    where enrollment_type is not null
      and alr_enrollment_type is not null
)

, months as (
    select distinct enrollment_month from both_sources
)

, codes as (
    select cast(enrollment_type as {{ dbt.type_int() }}) as enrollment_type
    from {{ ref('enrollment_type_codes') }}
)

, grid as (
    select
          months.enrollment_month
        , cclf_codes.enrollment_type as cclf_enrollment_type
        , alr_codes.enrollment_type as alr_enrollment_type
    from months
    cross join codes as cclf_codes
    cross join codes as alr_codes
)

, counts as (
    select
          enrollment_month
        , enrollment_type as cclf_enrollment_type
        , alr_enrollment_type
        , count(*) as member_months
    from both_sources
    group by enrollment_month, enrollment_type, alr_enrollment_type
)

select
      {{ key_of(['grid.enrollment_month', 'grid.cclf_enrollment_type',
                 'grid.alr_enrollment_type']) }} as crosstab_key
    , grid.enrollment_month
    , grid.cclf_enrollment_type
    , grid.alr_enrollment_type
    , grid.cclf_enrollment_type = grid.alr_enrollment_type as is_agreement
    , coalesce(counts.member_months, 0) as member_months
from grid
left join counts
    on grid.enrollment_month = counts.enrollment_month
    and grid.cclf_enrollment_type = counts.cclf_enrollment_type
    and grid.alr_enrollment_type = counts.alr_enrollment_type

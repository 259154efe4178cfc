-- The person-months of CMS expenditure per person-year (CMS guide v4 Appendix A phase 5, Table
-- 10 notes rows 14 and 17: eligibility fraction = months in the enrollment type / 12): every
-- fct_member_month row with its enrollment type (guide Appendix B), the type's label (as
-- fct_member_month holds it) and the one counted flag (fct_member_month.is_counted). Readers
-- filter `is_counted` and the period; payments of the same beneficiary and service month are
-- in mart_expenditure_payment.
with member_months as (
    select
          member_month_key
        , mr_mbi
        , enrollment_month
        , enrollment_type
        , enrollment_type_label
        , alive
        , opted_out
        , assigned
        , is_counted
    from {{ ref('fct_member_month') }}
)

select
      member_months.member_month_key
    , member_months.mr_mbi
    , member_months.enrollment_month
    , member_months.enrollment_type
    , member_months.enrollment_type_label as enrollment_type_description
    , member_months.alive
    , member_months.opted_out
    , member_months.assigned
    , member_months.is_counted
from member_months

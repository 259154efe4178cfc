-- The payments of every provider panel (docs/providers.md): for every attribution month M of
-- mart_provider_attribution_month, each Part A / B / DME payment (mart_provider_payment,
-- signed, IP v40 5.3.1) of each beneficiary attributed in M with a service month in the 12
-- months ending with M, with the attributed TIN / NPI, the provider it was paid to (CCN,
-- TIN, NPI: the participant list decides inside or outside the ACO at run time), the
-- Medicare part (IP v40 5.4) and in_counted_month: the payment's service month is a counted
-- person-month of the beneficiary (fct_member_month.is_counted); per-capita numerators count
-- only those. A scorecard for a period of up to 12 months ending in M filters the rows of M
-- by service date and run-out (CLM_IDR_LD_DT, IP v40 3.4).
{%- set window_months = 12 %}
with panel as (
    select mr_mbi, attribution_month, attributed_tin, attributed_npi
    from {{ ref('mart_provider_attribution_month') }}
)

, payments as (
    select
          payment_key, mr_mbi, claim_family, medicare_part, service_category, service_date
        , service_month, clm_idr_ld_dt, signed_paid_amount, ccn, tin, npi, visit_key
        , visit_date, admission_key
    from {{ ref('mart_provider_payment') }}
)

, counted_months as (
    select mr_mbi, enrollment_month
    from {{ ref('fct_member_month') }}
    where is_counted
)

select
      {{ key_of(['panel.attribution_month', 'payments.payment_key']) }} as panel_payment_key
    , panel.attribution_month
    , payments.payment_key
    , payments.mr_mbi
    , panel.attributed_tin
    , panel.attributed_npi
    , payments.claim_family
    , payments.medicare_part
    , payments.service_category
    , payments.service_date
    , payments.clm_idr_ld_dt
    , payments.signed_paid_amount
    , payments.ccn
    , payments.tin
    , payments.npi
    , counted_months.mr_mbi is not null as in_counted_month
    , case when payments.service_category = 'ed_visit' and payments.visit_key is not null
           then {{ key_of(['payments.mr_mbi', 'payments.visit_date']) }} end as ed_visit_day_key
    , payments.admission_key
from panel
inner join payments
    on panel.mr_mbi = payments.mr_mbi
    and payments.service_month <= panel.attribution_month
    and payments.service_month >= cast({{ dbt.dateadd(
          'month', -(window_months - 1), 'panel.attribution_month') }} as date)
left join counted_months
    on payments.mr_mbi = counted_months.mr_mbi
    and payments.service_month = counted_months.enrollment_month

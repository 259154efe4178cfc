-- One row per Part A / Part B / DME payment of mart_service_category_payment (every distinct
-- version, signed, IP v40 5.3.1) with the MSSP ACO PUF spending category (CapAnn_*) it counts
-- in (seed utilization_spend_categories; Part B lines with an ambulance HCPCS, seed
-- utilization_ambulance_hcpcs, count as ambulance, CapAnn_AmbPay). Part D is not a PUF
-- category and is left out. Sums over a period and run-out equal `aco report spend` totals.
-- medicare_part (IP v40 5.3.1 step 5, 5.4): 'A' or 'B' (institutional Part B such as
-- outpatient type 40 is 'B'). enrollment_type / is_counted_month: the fct_member_month row
-- of the service month (docs/metrics.md, counted person-month); per-capita spend counts
-- dollars only in a counted month of the same beneficiary.
with payments as (
    select
          payment_key, claim_family, version_key, mr_mbi, service_category, medicare_part
        , service_date, service_month, clm_idr_ld_dt, signed_paid_amount
    from {{ ref('mart_service_category_payment') }}
    where claim_family in ('part_a', 'part_b', 'dme')
)

, part_b_lines as (
    select version_key, trim(clm_line_hcpcs_cd) as hcpcs
    from {{ ref('int_service_category_part_b') }}
)

, ambulance as (
    select hcpcs_from, hcpcs_to from {{ ref('utilization_ambulance_hcpcs') }}
)

, ambulance_versions as (
    select distinct part_b_lines.version_key
    from part_b_lines
    inner join ambulance
        on {{ dbt.length('part_b_lines.hcpcs') }} = 5
        and part_b_lines.hcpcs between ambulance.hcpcs_from and ambulance.hcpcs_to
)

, categories as (
    select claim_family, service_category, spend_category
    from {{ ref('utilization_spend_categories') }}
)

, member_months as (
    select mr_mbi, enrollment_month, enrollment_type, is_counted
    from {{ ref('fct_member_month') }}
)

select
      payments.payment_key
    , payments.claim_family
    , payments.medicare_part
    , payments.mr_mbi
    , case
        when ambulance_versions.version_key is not null then 'ambulance'
        else coalesce(categories.spend_category, 'unknown')
      end as spend_category
    , payments.service_date
    , payments.service_month
    , payments.clm_idr_ld_dt
    , payments.signed_paid_amount
    , member_months.enrollment_type
    , coalesce(member_months.is_counted, false) as is_counted_month
from payments
left join ambulance_versions
    on payments.claim_family = 'part_b'
    and payments.version_key = ambulance_versions.version_key
left join categories
    on payments.claim_family = categories.claim_family
    and payments.service_category = categories.service_category
left join member_months
    on payments.mr_mbi = member_months.mr_mbi
    and payments.service_month = member_months.enrollment_month

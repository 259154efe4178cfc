-- The analyst's drill-through from the spend trend (docs/care-management.md, "Analyst
-- drill-through"): one row per current MBI, service month and service category with the net
-- paid summed over the Medicare parts (mart_spend_service_category_month: every signed
-- payment version, all claims delivered, IP v40 5.3.1), the Part A and Part B parts of it,
-- the claim-based visits (ED, office; by visit month) and the beneficiary's name and
-- attributed TIN / NPI (int_care_beneficiary, the provider-scope columns). Summed over
-- beneficiaries, a category and month give metric_service_category's net_paid (summed over
-- its medicare_part rows) for that month: the figure on the trend.
with spend as (
    select mr_mbi, month, service_category, medicare_part, net_paid, payment_rows, visits
    from {{ ref('mart_spend_service_category_month') }}
)

, per_category as (
    select
          mr_mbi
        , month
        , service_category
        , cast(sum(net_paid) as decimal(18, 2)) as net_paid
        , cast(sum(case when medicare_part = 'A' then net_paid else 0 end) as decimal(18, 2))
            as part_a_paid
        , cast(sum(case when medicare_part = 'B' then net_paid else 0 end) as decimal(18, 2))
            as part_b_paid
        , cast(sum(payment_rows) as {{ dbt.type_bigint() }}) as payment_rows
        , cast(sum(visits) as {{ dbt.type_bigint() }}) as visits
    from spend
    group by mr_mbi, month, service_category
)

, beneficiaries as (
    select mr_mbi, beneficiary_name, attributed_tin, attributed_npi
    from {{ ref('int_care_beneficiary') }}
)

select
      {{ key_of(['per_category.mr_mbi', 'per_category.month', 'per_category.service_category']) }}
        as analyst_key
    , per_category.mr_mbi
    , per_category.month
    , per_category.service_category
    , per_category.net_paid
    , per_category.part_a_paid
    , per_category.part_b_paid
    , per_category.payment_rows
    , per_category.visits
    , beneficiaries.beneficiary_name
    , beneficiaries.attributed_tin
    , beneficiaries.attributed_npi
from per_category
left join beneficiaries
    on per_category.mr_mbi = beneficiaries.mr_mbi

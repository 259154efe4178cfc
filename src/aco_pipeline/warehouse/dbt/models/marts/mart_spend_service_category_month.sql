-- Net paid and visits per beneficiary (MR_MBI), month, service category and Medicare part,
-- all claims delivered so far (no run-out cut-off; `aco report service-category` applies one
-- on mart_service_category_payment). Money by service month (CLM_THRU_DT; Part D fill date),
-- visits (ED, office) by visit month, each visit counted once.
with payments as (
    select * from {{ ref('mart_service_category_payment') }}
)

, paid as (
    select
          mr_mbi
        , service_month as month
        , service_category
        , medicare_part
        , cast(sum(signed_paid_amount) as decimal(18, 2)) as net_paid
        , count(*) as payment_rows
        , cast(0 as {{ dbt.type_bigint() }}) as visits
    from payments
    group by mr_mbi, service_month, service_category, medicare_part
)

, visited as (
    select
          mr_mbi
        , visit_month as month
        , service_category
        , medicare_part
        , cast(0 as decimal(18, 2)) as net_paid
        , cast(0 as {{ dbt.type_bigint() }}) as payment_rows
        , count(distinct visit_key) as visits
    from payments
    where visit_key is not null
    group by mr_mbi, visit_month, service_category, medicare_part
)

, combined as (
    select * from paid
    union all
    select * from visited
)

, summed as (
    select
          mr_mbi
        , month
        , service_category
        , medicare_part
        , cast(sum(net_paid) as decimal(18, 2)) as net_paid
        , cast(sum(payment_rows) as {{ dbt.type_bigint() }}) as payment_rows
        , cast(sum(visits) as {{ dbt.type_bigint() }}) as visits
    from combined
    group by mr_mbi, month, service_category, medicare_part
)

select
      {{ key_of(['mr_mbi', 'month', 'service_category', 'medicare_part']) }} as spend_key
    , summed.*
from summed

-- The lag triangle behind completion factors (docs/completion.md): net signed paid per claim
-- family, service month and IDR load date, with the months from the service month to the
-- load month (lag_months, 0 = loaded in the service month). Kept at load-date grain so that
-- metrics.completion can take the triangle as of any date (only payments loaded on or before
-- it, IP v40 3.4); every signed version counts, so a sum over lags is the net paid of
-- IP v40 5.3.1. first_delivery_month is the reference month of the lake's first monthly CCLF
-- delivery: loads before it reach the lake only as back history, so the triangle's rows of
-- earlier service months may lack their early payments (metrics.completion leaves them out of
-- the estimate by default).
with payments as (
    select
          claim_family
        , service_month
        , clm_idr_ld_dt
        , signed_paid_amount
    from {{ ref('fct_claim_payment') }}
    where service_month is not null
      and clm_idr_ld_dt is not null
)

, with_load_month as (
    select
          claim_family
        , service_month
        , clm_idr_ld_dt as load_date
        , {{ month_start('clm_idr_ld_dt') }} as load_month
        , signed_paid_amount
    from payments
)

-- a load before the service month (not expected from the IDR) counts as lag 0
, with_lag as (
    select
          claim_family
        , service_month
        , load_date
        , load_month
        , case
            when load_month < service_month then 0
            else cast({{ dbt.datediff('service_month', 'load_month', 'month') }}
                      as {{ dbt.type_int() }})
          end as lag_months
        , signed_paid_amount
    from with_load_month
)

, summed as (
    select
          claim_family
        , service_month
        , load_date
        , load_month
        , lag_months
        , cast(sum(signed_paid_amount) as decimal(18, 2)) as signed_paid
        , cast(count(*) as {{ dbt.type_int() }}) as payment_rows
    from with_lag
    group by claim_family, service_month, load_date, load_month, lag_months
)

, first_delivery as (
    select min(reference_month) as first_delivery_month
    from {{ ref('int_beneficiary_deliveries') }}
    where run_type = 'monthly'
)

select
      {{ key_of(['claim_family', 'service_month', 'load_date']) }} as completion_lag_key
    , summed.*
    , first_delivery.first_delivery_month
from summed
cross join first_delivery

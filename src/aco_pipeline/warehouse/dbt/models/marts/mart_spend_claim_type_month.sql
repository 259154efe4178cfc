-- Net paid per beneficiary (MR_MBI), service month and claim type, all claims delivered so
-- far (no run-out cut-off: `aco report spend` applies one on fct_claim_payment).
with payments as (
    select * from {{ ref('fct_claim_payment') }}
)

, summed as (
    select
          mr_mbi
        , service_month
        , claim_family
        , clm_type_cd
        , cast(sum(signed_paid_amount) as decimal(18, 2)) as net_paid
        , count(*) as payment_rows
    from payments
    group by mr_mbi, service_month, claim_family, clm_type_cd
)

select
      {{ key_of(['mr_mbi', 'service_month', 'clm_type_cd']) }} as spend_key
    , summed.*
from summed

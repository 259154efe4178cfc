-- Net paid per beneficiary (MR_MBI), service month, claim type and the Medicare part that
-- paid (IP v40 5.4, fct_claim_payment.medicare_part), all claims delivered so far (no run-out
-- cut-off: `aco report spend` applies one on fct_claim_payment).
with payments as (
    select * from {{ ref('fct_claim_payment') }}
)

, summed as (
    select
          mr_mbi
        , service_month
        , claim_family
        , clm_type_cd
        , medicare_part
        , cast(sum(signed_paid_amount) as decimal(18, 2)) as net_paid
        , count(*) as payment_rows
    from payments
    group by mr_mbi, service_month, claim_family, clm_type_cd, medicare_part
)

select
      {{ key_of(['mr_mbi', 'service_month', 'clm_type_cd', 'medicare_part']) }} as spend_key
    , summed.*
from summed

-- IP v40 5.3.1-5.3.2: the signed sum of every distinct version equals the sum over the
-- final-action claims when every cancellation found the version it cancels. A difference
-- means unmatched cancellations (see mart_data_quality); a warning, not an error.
{{ config(severity='warn') }}

with signed_net as (
    select claim_family, cast(sum(signed_paid_amount) as decimal(18, 2)) as net_paid
    from {{ ref('fct_claim_payment') }}
    group by claim_family
)

, final_action as (
    select claim_family, cast(sum(paid_amount) as decimal(18, 2)) as net_paid
    from {{ ref('fct_claim') }}
    group by claim_family
)

select
      coalesce(signed_net.claim_family, final_action.claim_family) as claim_family
    , signed_net.net_paid as signed_net_paid
    , final_action.net_paid as final_action_paid
from signed_net
full outer join final_action
    on signed_net.claim_family = final_action.claim_family
where coalesce(signed_net.net_paid, 0) <> coalesce(final_action.net_paid, 0)

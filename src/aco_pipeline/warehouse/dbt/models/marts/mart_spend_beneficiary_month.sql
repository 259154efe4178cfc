-- Net paid per beneficiary (MR_MBI) and service month by family (IP v40 5.3.1-5.3.2):
-- Part A (CCLF1), Part B physician (CCLF5), DME (CCLF6), Part D (CCLF7 beneficiary-paid).
-- total_paid is the Part A and B expenditure of IP v40 5.3.1 step 5 (Part A + Part B + DME);
-- Part D is shown beside it, not added (it is what the beneficiary paid, not Medicare).
with by_claim_type as (
    select * from {{ ref('mart_spend_claim_type_month') }}
)

, pivoted as (
    select
          mr_mbi
        , service_month
        , cast(sum(case when claim_family = 'part_a' then net_paid else 0 end)
              as decimal(18, 2)) as part_a_paid
        , cast(sum(case when claim_family = 'part_b' then net_paid else 0 end)
              as decimal(18, 2)) as part_b_paid
        , cast(sum(case when claim_family = 'dme' then net_paid else 0 end)
              as decimal(18, 2)) as dme_paid
        , cast(sum(case when claim_family = 'part_d' then net_paid else 0 end)
              as decimal(18, 2)) as part_d_paid
    from by_claim_type
    group by mr_mbi, service_month
)

select
      {{ key_of(['mr_mbi', 'service_month']) }} as spend_key
    , pivoted.*
    , cast(part_a_paid + part_b_paid + dme_paid as decimal(18, 2)) as total_paid
from pivoted

-- Net paid per beneficiary (MR_MBI) and service month by the Medicare part that paid (IP
-- v40 5.4, docs/metrics.md): part_a_paid, part_b_paid (hospital outpatient and other
-- institutional Part B, physician and DME lines), total_paid = Part A + Part B (IP v40 5.3.1
-- step 5); dme_paid is the CCLF6 share of part_b_paid; part_d_beneficiary_paid (CCLF7's
-- beneficiary-paid amount) is shown beside it, never added.
with by_claim_type as (
    select * from {{ ref('mart_spend_claim_type_month') }}
)

, pivoted as (
    select
          mr_mbi
        , service_month
        , cast(sum(case when medicare_part = 'A' then net_paid else 0 end)
              as decimal(18, 2)) as part_a_paid
        , cast(sum(case when medicare_part = 'B' then net_paid else 0 end)
              as decimal(18, 2)) as part_b_paid
        , cast(sum(case when claim_family = 'dme' then net_paid else 0 end)
              as decimal(18, 2)) as dme_paid
        , cast(sum(case when medicare_part = 'D' then net_paid else 0 end)
              as decimal(18, 2)) as part_d_beneficiary_paid
    from by_claim_type
    group by mr_mbi, service_month
)

select
      {{ key_of(['mr_mbi', 'service_month']) }} as spend_key
    , pivoted.*
    , cast(part_a_paid + part_b_paid as decimal(18, 2)) as total_paid
from pivoted

-- Part D (CCLF7) final action. PDEs are final-action records, not debit/credit (IP v40 3.3):
-- among the related versions of one event (natural key IP v40 5.1.2 plus MR_MBI, carried by
-- int_claim_versions_part_d) the most
-- recent one (IDR load date, then effective date, then claim id) is final, unless it is a
-- delete (adjustment type 1; deletes carry $0 and a blank NDC), in which case none is.
{{ config(**claim_incremental_config('part_d')) }}
with versions as (
    select * from {{ claim_ref('int_claim_versions_part_d', 'part_d', rows='natural_keys') }}
)

, recency_ranked as (
    select
          versions.*
        , row_number() over (
            partition by natural_key
            order by clm_idr_ld_dt desc, clm_efctv_dt desc, cur_clm_uniq_id desc
                   , delivery_date desc
          ) as recency_rank
    from versions
)

, flagged as (
    select
          recency_ranked.*
        , adjustment_type = 1 as is_delete
        , recency_rank = 1 and adjustment_type <> 1 as is_final_action
    from recency_ranked
)

select * from flagged

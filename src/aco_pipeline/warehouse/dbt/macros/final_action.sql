{#-
  Final action for debit/credit claims (IP v40 5.2.1-5.2.3, 5.3.1).

  Related claims share a natural key (column `natural_key` of the version model, IP v40
  5.1.2). Each cancellation
  (adjustment type 1) is matched to exactly one original or adjustment of the same natural key
  and the same unsigned amount (`amount`); matched pairs are removed, the rest of the
  non-cancellations are final action (more than one per key is possible, IP v40 5.2.1).
  Pairing is one-to-one: within (natural key, amount) the n-th cancellation, ordered by
  effective date, load date and claim id, takes the n-th candidate in the same order. When
  candidates are indistinguishable (IP v40 5.3.2: claim #6 cancels #2 or #5) this picks the
  earliest-effective one, deterministically. A cancellation with no candidate is kept,
  flagged `is_unmatched_cancellation`, and reported in mart_data_quality.

  Every version comes out with its signed amount (cancellations negated, IP v40 5.3.1).

  Claim-level incremental build (macros/incremental_claims.sql): whole natural keys of the
  claims to redo are read (claim_ref rows='natural_keys'), only those claims' rows are written
  (the claim_replace strategy).
-#}
{% macro final_action(versions_model, claim_family, amount) -%}
{%- set order_by = 'clm_efctv_dt, clm_idr_ld_dt, cur_clm_uniq_id, version_key' -%}
with versions as (
    select * from {{ claim_ref(versions_model, claim_family, rows='natural_keys') }}
)

, cancellations as (
    select
          version_key
        , natural_key
        , {{ amount }} as match_amount
        , row_number() over (
            partition by natural_key, {{ amount }} order by {{ order_by }}
          ) as pair_rank
    from versions
    where adjustment_type = 1
)

, candidates as (
    select
          version_key
        , natural_key
        , {{ amount }} as match_amount
        , row_number() over (
            partition by natural_key, {{ amount }} order by {{ order_by }}
          ) as pair_rank
    from versions
    where adjustment_type <> 1
)

, matched_pairs as (
    select
          candidates.version_key as cancelled_version_key
        , cancellations.version_key as cancellation_version_key
    from candidates
    inner join cancellations
        on candidates.natural_key = cancellations.natural_key
        and candidates.match_amount = cancellations.match_amount
        and candidates.pair_rank = cancellations.pair_rank
)

, flagged as (
    select
          versions.*
        , {{ signed_amount(amount, 'versions.adjustment_type') }} as signed_paid_amount
        , versions.adjustment_type = 1 as is_cancellation
        , cancelled.cancellation_version_key as cancelled_by_version_key
        , cancelling.cancelled_version_key as cancels_version_key
        , versions.adjustment_type <> 1
            and cancelled.cancellation_version_key is null as is_final_action
        , versions.adjustment_type = 1
            and cancelling.cancelled_version_key is null as is_unmatched_cancellation
    from versions
    left join matched_pairs as cancelled
        on versions.version_key = cancelled.cancelled_version_key
    left join matched_pairs as cancelling
        on versions.version_key = cancelling.cancellation_version_key
)

select * from flagged
{%- endmacro %}

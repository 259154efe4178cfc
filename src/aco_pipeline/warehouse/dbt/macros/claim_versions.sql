{#-
  Distinct claim versions of one claims file across every delivery.

  1. Attach MR_MBI: the claim's MBI mapped through int_mbi_crosswalk, before any grouping
     (IP v40 5.1.1, 5.3.1 "replace all old MBIs").
  2. A version re-sent in later deliveries is counted once: identity = `identity` columns
     (CUR_CLM_UNIQ_ID, line number, adjustment type, effective date); the most recently
     delivered copy wins (field practice, docs/synthetic-data.md; the CMS guide's Track 3
     example has 21.5% duplicate rows).

  3. `natural_key` (IP v40 5.1.2; with MR_MBI): the columns that relate the versions of one
     claim (originals, cancellations, adjustments), as one string column `natural_key`;
     final action pairs cancellations within it. None for a model that only carries amounts.

  `columns`: the claim columns the later steps need (besides identity and lineage).
  `claim_family`: in a claim-level incremental build only the claims listed by
  int_claim_changes_delivered are re-versioned (macros/incremental_claims.sql).
-#}
{% macro claim_versions(staging_model, identity, columns, claim_family, natural_key=none) -%}
with claims as (
    select * from {{ claim_ref(staging_model, claim_family, changes='int_claim_changes_delivered') }}
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, with_mr_mbi as (
    select
          claims.*
        , coalesce(crosswalk.current_mbi, claims.bene_mbi_id) as mr_mbi
    from claims
    left join crosswalk
        on claims.bene_mbi_id = crosswalk.previous_mbi
)

, copies_ranked as (
    select
          with_mr_mbi.*
        , row_number() over (
            partition by {{ identity | join(', ') }}
            order by delivery_date desc, delivery_id desc, line_number desc
          ) as copy_rank
        , count(*) over (partition by {{ identity | join(', ') }}) as copies_delivered
    from with_mr_mbi
)

, versions as (
    select
          {{ key_of(identity) }} as version_key
        {%- if natural_key %}
        , {{ key_of(natural_key) }} as natural_key
        {%- endif %}
        , {{ identity | join('\n        , ') }}
        , mr_mbi
        , bene_mbi_id
        , {{ columns | join('\n        , ') }}
        , copies_delivered
        , delivery_id
        , delivery_date
        , run_type
        , source_file
        , line_number
    from copies_ranked
    where copy_rank = 1
)

select * from versions
{%- endmacro %}

-- Claims a claim-level incremental build must re-derive from final action on
-- (macros/incremental_claims.sql): the re-versioned claims (int_claim_changes_delivered) and
-- every claim sharing a natural key (IP v40 5.1.2) with one of their versions, under the
-- natural keys they have now (the version models, already current) or had before (the
-- previous final-action tables). Cancellations pair only within a natural key (IP v40 5.2),
-- so no other claim's final-action status can change. Empty in a full build.
{%- set families = claim_families() %}
{%- set incremental = var('claim_changes_deliveries', {}) | length > 0 %}

with delivered as (
    select claim_family, cur_clm_uniq_id from {{ ref('int_claim_changes_delivered') }}
)

, versions as (
    {%- for f in families %}
    {{ 'union all' if not loop.first }}
    select '{{ f.family }}' as claim_family, cur_clm_uniq_id, natural_key
    from {{ ref(f.versions) }}
    {%- endfor %}
)

-- the claims' versions as the previous build had them (its final-action tables) and as they
-- are now (the version models, already current)
, known_versions as (
    select claim_family, cur_clm_uniq_id, natural_key from versions
    {%- for f in families %}
    {%- set previous = previous_relation(f.final_action) if incremental else none %}
    {%- if previous is not none %}
    union all
    select '{{ f.family }}' as claim_family, cur_clm_uniq_id, natural_key
    from {{ previous }}
    {%- endif %}
    {%- endfor %}
)

, touched_keys as (
    select distinct known_versions.claim_family, known_versions.natural_key
    from known_versions
    inner join delivered
        on known_versions.claim_family = delivered.claim_family
        and known_versions.cur_clm_uniq_id = delivered.cur_clm_uniq_id
)

, claims as (
    select claim_family, cur_clm_uniq_id from delivered
    union
    select known_versions.claim_family, known_versions.cur_clm_uniq_id
    from known_versions
    inner join touched_keys
        on known_versions.claim_family = touched_keys.claim_family
        and known_versions.natural_key = touched_keys.natural_key
)

select claim_family, cur_clm_uniq_id from claims

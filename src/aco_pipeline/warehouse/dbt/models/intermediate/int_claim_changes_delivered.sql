-- Claims a claim-level incremental build must re-version (macros/incremental_claims.sql):
-- every claim with a row in a new delivery (var claim_changes_deliveries, set by `aco build`;
-- CCLF2-4 rows name their Part A header), and every claim whose MR_MBI changes under today's
-- crosswalk (a new CCLF9 re-keys claims delivered long ago, IP v40 5.1.1). Empty in a full
-- build (no var, no previous tables).
{%- set new_deliveries = var('claim_changes_deliveries', {}) %}
{%- set families = claim_families() %}

with crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, delivered as (
    {%- for f in families %}
    {%- set family_loop = loop %}
    {%- for model in f.files %}
    {%- set ids = new_deliveries.get(model | replace('stg_', ''), []) %}
    {{ 'union all' if not (family_loop.first and loop.first) }}
    select '{{ f.family }}' as claim_family, cur_clm_uniq_id
    from {{ ref(model) }}
    where {% if ids %}delivery_id in ('{{ ids | join("', '") }}'){% else %}1 = 0{% endif %}
    {%- endfor %}
    {%- endfor %}
)

, rekeyed as (
    select
          cast(null as {{ dbt.type_string() }}) as claim_family
        , cast(null as {{ dbt.type_string() }}) as cur_clm_uniq_id
    from crosswalk
    where 1 = 0
    {%- for f in families %}
    {%- set previous = previous_relation(f.versions) if new_deliveries else none %}
    {%- if previous is not none %}
    union all
    select '{{ f.family }}' as claim_family, versions.cur_clm_uniq_id
    from {{ previous }} as versions
    left join crosswalk
        on versions.bene_mbi_id = crosswalk.previous_mbi
    where coalesce(crosswalk.current_mbi, versions.bene_mbi_id) <> versions.mr_mbi
    {%- endif %}
    {%- endfor %}
)

, claims as (
    select claim_family, cur_clm_uniq_id from delivered
    union all
    select claim_family, cur_clm_uniq_id from rekeyed
)

select distinct claim_family, cur_clm_uniq_id
from claims

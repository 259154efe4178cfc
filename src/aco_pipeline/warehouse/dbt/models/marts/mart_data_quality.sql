-- Data problems found while building, one row per problem record (nothing is dropped
-- silently). record_key names the record (an MBI or a claim version key): this table is PHI.
with crosswalk_unresolved as (
    select
          'mbi_crosswalk' as area
        , unresolved_reason as check_name
        , 'error' as severity
        , previous_mbi as record_key
        , newest_delivery_id as delivery_id
    from {{ ref('int_mbi_crosswalk') }}
    where not is_resolved
)

{%- for fam in ['part_a', 'part_b', 'dme'] %}

, unmatched_{{ fam }} as (
    select
          '{{ fam }}' as area
        , 'unmatched_cancellation' as check_name
        , 'warn' as severity
        , version_key as record_key
        , delivery_id
    from {{ ref('int_final_action_' ~ fam) }}
    where is_unmatched_cancellation
)
{%- endfor %}

, claims_without_beneficiary as (
    select
          fct.claim_family as area
        , 'claim_for_beneficiary_absent_from_cclf8' as check_name
        , 'warn' as severity
        , fct.claim_key as record_key
        , fct.delivery_id
    from {{ ref('fct_claim') }} as fct
    left join (
        select distinct mr_mbi from {{ ref('int_beneficiary_deliveries') }}
    ) as benes
        on fct.mr_mbi = benes.mr_mbi
    where benes.mr_mbi is null
)

, unioned as (
    select * from crosswalk_unresolved
    union all
    select * from unmatched_part_a
    union all
    select * from unmatched_part_b
    union all
    select * from unmatched_dme
    union all
    select * from claims_without_beneficiary
)

select
      {{ key_of(['area', 'check_name', 'record_key']) }} as issue_key
    , unioned.*
from unioned

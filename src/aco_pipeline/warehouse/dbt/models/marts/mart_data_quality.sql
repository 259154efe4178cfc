-- Data problems found while building, one row per problem record (nothing is dropped
-- silently). record_key names the record (an MBI, a claim version key or a claim id): this
-- table is PHI.
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

-- claim versions whose CLM_TYPE_CD is not in the IP v40 list (seed claim_type_codes)
, claim_type_codes as (
    select clm_type_cd from {{ ref('claim_type_codes') }}
)
{%- for fam in ['part_a', 'part_b', 'dme', 'part_d'] %}

, unknown_type_{{ fam }} as (
    select
          '{{ fam }}' as area
        , 'unknown_claim_type_code' as check_name
        , 'error' as severity
        , versions.version_key as record_key
        , versions.delivery_id
    from {{ ref('int_claim_versions_' ~ fam) }} as versions
    left join claim_type_codes
        on versions.clm_type_cd = claim_type_codes.clm_type_cd
    where claim_type_codes.clm_type_cd is null
)
{%- endfor %}

-- final-action Part A claims whose revenue-centre payments (CCLF2) do not sum to the header's
-- CLM_PMT_AMT (IP v40 3.5: then the line payments should be ignored). Claims paid at the
-- header only (every line $0, e.g. inpatient DRG payment) are not a mismatch.
, revenue_line_totals as (
    select
          cur_clm_uniq_id
        , cast(sum(paid_amount) as decimal(18, 2)) as lines_paid
        , sum(case when paid_amount <> 0 then 1 else 0 end) as paid_lines
    from {{ ref('fct_claim_line') }}
    where claim_family = 'part_a'
    group by cur_clm_uniq_id
)

, revenue_lines_mismatch as (
    select
          'part_a' as area
        , 'revenue_lines_do_not_sum_to_header' as check_name
        , 'warn' as severity
        , headers.cur_clm_uniq_id as record_key
        , headers.delivery_id
    from {{ ref('fct_claim') }} as headers
    inner join revenue_line_totals
        on headers.cur_clm_uniq_id = revenue_line_totals.cur_clm_uniq_id
    where headers.claim_family = 'part_a'
      and revenue_line_totals.paid_lines > 0
      and revenue_line_totals.lines_paid <> headers.paid_amount
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
    {%- for fam in ['part_a', 'part_b', 'dme', 'part_d'] %}
    union all
    select * from unknown_type_{{ fam }}
    {%- endfor %}
    union all
    select * from revenue_lines_mismatch
)

select
      {{ key_of(['area', 'check_name', 'record_key']) }} as issue_key
    , unioned.*
from unioned

-- Most recent MBI for every previous MBI ever listed in a CCLF9 (IP v40 3.1, 5.1.1).
-- Every delivery's CCLF9 is used (a beneficiary who died in an earlier performance year is
-- absent from the newest one); per previous MBI the newest delivery wins; chains of any length
-- up to var('mbi_chain_max_hops') are closed (A->B, B->C gives A->C and B->C) with plain
-- self-joins (portable: no recursive CTE). A previous MBI whose walk does not end (a cycle, or
-- a chain longer than the limit) keeps its own MBI and is listed in mart_data_quality.
{%- set hops = var('mbi_chain_max_hops') | int %}

with xref as (
    select
          previous_mbi
        , current_mbi
        , previous_effective_dt
        , previous_obsolete_dt
        , delivery_id
        , delivery_date
        , line_number
    from {{ ref('stg_cclf9') }}
    where previous_mbi is not null
      and current_mbi is not null
      and previous_mbi <> current_mbi
)

, newest_first as (
    select
          xref.*
        , row_number() over (
            partition by previous_mbi
            order by delivery_date desc, delivery_id desc, line_number
          ) as newest_rank
    from xref
)

-- one edge per previous MBI: the newest delivery's statement of its successor
, edges as (
    select
          previous_mbi
        , current_mbi as next_mbi
        , previous_effective_dt
        , previous_obsolete_dt
        , delivery_id
    from newest_first
    where newest_rank = 1
)

-- follow successors hop by hop; hop_{{ hops + 1 }} is only there to tell whether the walk ended
, walked as (
    select
          e0.previous_mbi
        , e0.previous_effective_dt
        , e0.previous_obsolete_dt
        , e0.delivery_id
        , e0.next_mbi as hop_1
        {%- for i in range(1, hops + 1) %}
        , e{{ i }}.next_mbi as hop_{{ i + 1 }}
        {%- endfor %}
    from edges as e0
    {%- for i in range(1, hops + 1) %}
    left join edges as e{{ i }}
        on e{{ i }}.previous_mbi = e{{ i - 1 }}.next_mbi
    {%- endfor %}
)

, resolved as (
    select
          previous_mbi
        , previous_effective_dt
        , previous_obsolete_dt
        , delivery_id
        , coalesce(
            {%- for i in range(hops, 0, -1) %}
            hop_{{ i }}{{ "," if not loop.last }}
            {%- endfor %}
          ) as last_mbi
        , case
            {%- for i in range(1, hops + 1) %}
            when hop_{{ i + 1 }} is null then {{ i }}
            {%- endfor %}
          end as chain_length
        , case when
            {%- for i in range(1, hops + 1) %}
            hop_{{ i }} = previous_mbi{{ " or" if not loop.last }}
            {%- endfor %}
          then true else false end as is_on_cycle
    from walked
)

, final as (
    select
          previous_mbi
        , case when chain_length is not null then last_mbi else previous_mbi end as current_mbi
        , chain_length
        , chain_length is not null as is_resolved
        , case
            when chain_length is not null then null
            when is_on_cycle then 'cycle'
            else 'cycle_ahead_or_chain_too_long'
          end as unresolved_reason
        , previous_effective_dt
        , previous_obsolete_dt
        , delivery_id as newest_delivery_id
    from resolved
)

select * from final

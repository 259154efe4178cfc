-- One row per line of a final-action claim: Part A revenue-centre lines (CCLF2) of the
-- final-action Part A headers, and the final-action Part B (CCLF5) and DME (CCLF6) lines.
-- claim_key points at fct_claim (the Part A header, or the Part B/DME line itself).
-- Part A line payments are reliable only when they sum to the header (IP v40 3.5); lines
-- that do not are listed in mart_data_quality (revenue_lines_do_not_sum_to_header).
{{ config(**claim_incremental_config()) }}
with part_a_headers as (
    select cur_clm_uniq_id, mr_mbi, clm_type_cd
    from {{ claim_ref('int_final_action_part_a', 'part_a') }}
    where is_final_action
)

-- a revenue line re-sent in later deliveries counts once: the most recently delivered copy
, revenue_copies as (
    select
          lines.*
        , row_number() over (
            partition by lines.cur_clm_uniq_id, lines.line_num
            order by lines.delivery_date desc, lines.delivery_id desc, lines.line_number desc
          ) as copy_rank
    from {{ claim_ref('stg_cclf2', 'part_a') }} as lines
    inner join part_a_headers
        on lines.cur_clm_uniq_id = part_a_headers.cur_clm_uniq_id
)

, part_a as (
    select
          'part_a' as claim_family
        , revenue_copies.cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as header_line_num
        , revenue_copies.line_num as clm_line_num
        , part_a_headers.mr_mbi
        , part_a_headers.clm_type_cd
        , revenue_copies.clm_from_dt
        , revenue_copies.clm_thru_dt
        , revenue_copies.clm_line_from_dt
        , revenue_copies.clm_line_thru_dt
        , revenue_copies.clm_line_prod_rev_ctr_cd as revenue_center_cd
        , revenue_copies.clm_line_hcpcs_cd as hcpcs_cd
        , cast(null as {{ dbt.type_string() }}) as place_of_service_cd
        , cast(null as {{ dbt.type_string() }}) as line_provider_npi
        , cast(revenue_copies.clm_line_cvrd_pd_amt as decimal(15, 2)) as paid_amount
        , revenue_copies.delivery_id
    from revenue_copies
    inner join part_a_headers
        on revenue_copies.cur_clm_uniq_id = part_a_headers.cur_clm_uniq_id
    where revenue_copies.copy_rank = 1
)

{#- Part B physician and DME lines have the same shape; the line's provider is the rendering
    NPI (CCLF5) or the pay-to supplier NPI (CCLF6). #}
{%- for family, npi_column in [('part_b', 'rndrg_prvdr_npi_num'), ('dme', 'payto_prvdr_npi_num')] %}
, {{ family }} as (
    select
          '{{ family }}' as claim_family
        , cur_clm_uniq_id
        , line_num as header_line_num
        , line_num as clm_line_num
        , mr_mbi
        , clm_type_cd
        , clm_from_dt
        , clm_thru_dt
        , clm_line_from_dt
        , clm_line_thru_dt
        , cast(null as {{ dbt.type_string() }}) as revenue_center_cd
        , clm_line_hcpcs_cd as hcpcs_cd
        , clm_pos_cd as place_of_service_cd
        , {{ npi_column }} as line_provider_npi
        , cast(clm_line_cvrd_pd_amt as decimal(15, 2)) as paid_amount
        , delivery_id
    from {{ claim_ref('int_final_action_' ~ family, family) }}
    where is_final_action
)
{% endfor %}
, unioned as (
    select * from part_a
    union all
    select * from part_b
    union all
    select * from dme
)

-- the place of service's label beside its code (seed place_of_service_categories)
, places_of_service as (
    select clm_pos_cd, description as place_of_service_label
    from {{ ref('place_of_service_categories') }}
)

select
      {{ key_of(['claim_family', 'cur_clm_uniq_id', 'clm_line_num']) }} as claim_line_key
    , {{ key_of(['claim_family', 'cur_clm_uniq_id', 'header_line_num']) }} as claim_key
    , claim_family
    , cur_clm_uniq_id
    , clm_line_num
    , mr_mbi
    , clm_type_cd
    , clm_from_dt
    , clm_thru_dt
    , clm_line_from_dt
    , clm_line_thru_dt
    , coalesce(clm_line_from_dt, clm_thru_dt) as line_service_date
    , revenue_center_cd
    , hcpcs_cd
    , place_of_service_cd
    , places_of_service.place_of_service_label
    , line_provider_npi
    , paid_amount
    , delivery_id
from unioned
left join places_of_service
    on trim(unioned.place_of_service_cd) = places_of_service.clm_pos_cd

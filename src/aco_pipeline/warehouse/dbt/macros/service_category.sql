{#-
  Service category of Part B physician (CCLF5) line versions: ED E&M HCPCS 99281-99285 ->
  ed_visit, office/outpatient E&M 99202-99205 / 99211-99215 -> office_visit (seed
  hcpcs_categories), anything else -> part_b_other; DME (CCLF6) lines are all `dme`. Every
  Part B/DME line is paid under Part B (IP v40 5.4). A visit is counted once per beneficiary
  and line date (visit_key), over final-action valid lines only.
-#}
{% macro part_b_line_service_category(final_action_model, validity_model, claim_family) -%}
with versions as (
    select * from {{ claim_ref(final_action_model, claim_family) }}
)

, validity as (
    select version_key, is_invalid from {{ claim_ref(validity_model, claim_family) }}
)

, hcpcs_categories as (
    select hcpcs_from, hcpcs_to, hcpcs_category from {{ ref('hcpcs_categories') }}
)

, places_of_service as (
    select clm_pos_cd, pos_category from {{ ref('place_of_service_categories') }}
)

, attributed as (
    select
          versions.*
        , hcpcs_categories.hcpcs_category
        , places_of_service.pos_category
        , coalesce(validity.is_invalid, false) as is_invalid
    from versions
    left join hcpcs_categories
        on trim(versions.clm_line_hcpcs_cd) between hcpcs_categories.hcpcs_from
            and hcpcs_categories.hcpcs_to
        and {{ dbt.length('trim(versions.clm_line_hcpcs_cd)') }} = 5
    left join places_of_service
        on trim(versions.clm_pos_cd) = places_of_service.clm_pos_cd
    left join validity
        on versions.version_key = validity.version_key
)

, categorized as (
    select
          '{{ claim_family }}' as claim_family
        , version_key
        , cur_clm_uniq_id
        , line_num as clm_line_num
        , mr_mbi
        , clm_type_cd
        {%- if claim_family == 'dme' %}
        , 'dme' as service_category
        {%- else %}
        , case hcpcs_category
            when 'ed_em' then 'ed_visit'
            when 'office_em' then 'office_visit'
            else 'part_b_other'
          end as service_category
        {%- endif %}
        , 'B' as medicare_part
        , clm_line_hcpcs_cd
        , hcpcs_category
        , clm_pos_cd
        , pos_category
        , clm_thru_dt as service_date
        , clm_idr_ld_dt
        , cast(signed_paid_amount as decimal(15, 2)) as signed_paid_amount
        , is_final_action
        , is_invalid
        , case
            when {{ 'false' if claim_family == 'dme' else "hcpcs_category in ('ed_em', 'office_em')" }}
                and is_final_action and not is_invalid
                then {{ dbt.concat(["'b|'", 'mr_mbi', "'|'", dbt.cast('clm_line_from_dt', dbt.type_string())]) }}
          end as visit_key
        , clm_line_from_dt as visit_date
    from attributed
)

select * from categorized
{%- endmacro %}

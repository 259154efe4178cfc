{#-
  Validity flags of Part B physician (CCLF5) and DME (CCLF6) line versions, CMS guide v4
  Appendix A phase 1 (claim types 71/72 and 81/82): a line is valid when its claim processing
  indicator CLM_PRCSG_IND_CD is 'A', 'R' or 'S' and its claim's payment denial code
  CLM_CARR_PMT_DNL_CD is 'A', 'B' or '1'-'9' (seeds claim_processing_indicator_codes,
  payment_denial_codes; IP v40 3.2). The denial code is a claim-level field, so it is checked
  first; a code missing from the seed is invalid.

  One row per distinct line version (int_final_action_<family>): `records_delivered` rows of
  the lake carried it, `duplicate_records` of them are re-sent copies (guide Table 1 row 2:
  same CUR_CLM_UNIQ_ID and CLM_LINE_NUM).
-#}
{% macro part_b_line_validity(final_action_model, claim_family, claim_types) -%}
with versions as (
    select * from {{ claim_ref(final_action_model, claim_family) }}
)

, processing_indicators as (
    select clm_prcsg_ind_cd, is_valid from {{ ref('claim_processing_indicator_codes') }}
)

, denial_codes as (
    select clm_carr_pmt_dnl_cd, is_valid from {{ ref('payment_denial_codes') }}
)

, coded as (
    select
          versions.*
        , coalesce(denial_codes.is_valid, false) as is_valid_denial_code
        , coalesce(processing_indicators.is_valid, false) as is_valid_processing_indicator
    from versions
    left join denial_codes
        on trim(versions.clm_carr_pmt_dnl_cd) = denial_codes.clm_carr_pmt_dnl_cd
    left join processing_indicators
        on trim(versions.clm_prcsg_ind_cd) = processing_indicators.clm_prcsg_ind_cd
)

, reasoned as (
    select
          coded.*
        , case
            when clm_type_cd not in ({{ "'" ~ claim_types | join("', '") ~ "'" }})
                then 'claim_type_not_listed'
            when not is_valid_denial_code then 'payment_denial_code'
            when not is_valid_processing_indicator then 'processing_indicator'
          end as invalid_reason
    from coded
)

, flagged as (
    select
          '{{ claim_family }}' as claim_family
        , version_key
        , cur_clm_uniq_id
        , line_num as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_thru_dt
        , clm_efctv_dt
        , clm_idr_ld_dt
        , cast(signed_paid_amount as decimal(15, 2)) as signed_paid_amount
        , cast(copies_delivered as {{ dbt.type_int() }}) as records_delivered
        , cast(copies_delivered - 1 as {{ dbt.type_int() }}) as duplicate_records
        , invalid_reason is not null as is_invalid
        , invalid_reason
        , case invalid_reason
            when 'payment_denial_code' then clm_carr_pmt_dnl_cd
            when 'processing_indicator' then clm_prcsg_ind_cd
            when 'claim_type_not_listed' then clm_type_cd
          end as invalid_code
        , is_final_action
    from reasoned
)

select * from flagged
{%- endmacro %}

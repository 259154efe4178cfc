-- Service category `part_d` of every final-action Part D event (CCLF7 is final action,
-- IP v40 3.3); amount CLM_LINE_BENE_PMT_AMT as in fct_claim_payment.
{{ config(**claim_incremental_config('part_d')) }}
with events as (
    select * from {{ claim_ref('int_final_action_part_d', 'part_d') }}
    where is_final_action
)

, categorized as (
    select
          'part_d' as claim_family
        , version_key
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , 'part_d' as service_category
        , 'D' as medicare_part
        , clm_line_from_dt as service_date
        , clm_idr_ld_dt
        , cast(clm_line_bene_pmt_amt as decimal(15, 2)) as signed_paid_amount
        , is_final_action
        , false as is_invalid
        , cast(null as {{ dbt.type_string() }}) as visit_key
        , clm_line_from_dt as visit_date
    from events
)

select * from categorized

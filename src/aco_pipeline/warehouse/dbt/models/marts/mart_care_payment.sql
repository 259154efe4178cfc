-- One row per Part A / Part B / DME payment (mart_provider_payment: every distinct version,
-- signed, IP v40 5.3.1) with what the care lists need in one table, so that each list is a
-- filter and an aggregate over it (docs/care-management.md):
--   medicare_part (IP v40 5.4, A or B; 'unknown' for an unlisted bill type), service
--   category, ED visit key and day, admission key (final-action valid inpatient claims);
--   the beneficiary's name, death date and attributed provider (int_care_beneficiary).
-- The as-of cut-off (CLM_IDR_LD_DT, IP v40 3.4), the windows and the death filter are
-- applied by aco_pipeline.metrics.care.
with payments as (
    select
          payment_key, mr_mbi, claim_family, medicare_part, service_category, clm_type_cd
        , service_date, clm_idr_ld_dt, signed_paid_amount, visit_key, visit_date, admission_key
    from {{ ref('mart_provider_payment') }}
)

, beneficiaries as (
    select mr_mbi, beneficiary_name, death_date, attributed_tin, attributed_npi
    from {{ ref('int_care_beneficiary') }}
)

select
      payments.payment_key
    , payments.mr_mbi
    , beneficiaries.beneficiary_name
    , beneficiaries.death_date
    , beneficiaries.attributed_tin
    , beneficiaries.attributed_npi
    , payments.claim_family
    , payments.medicare_part
    , payments.service_category
    , payments.clm_type_cd
    , payments.service_date
    , payments.clm_idr_ld_dt
    , payments.signed_paid_amount
    , case when payments.service_category = 'ed_visit' and payments.visit_key is not null
           then payments.visit_date end as ed_visit_date
    , case when payments.service_category = 'ed_visit' then payments.visit_key end
        as ed_visit_key
    , payments.admission_key
from payments
left join beneficiaries
    on payments.mr_mbi = beneficiaries.mr_mbi

-- One row per current MBI (MR_MBI, IP v40 5.1.1) of dim_beneficiary with what the patient
-- pages show in their header and the one provider-scope column pair: attributed_tin and
-- attributed_npi are the newest attribution month's (int_care_beneficiary, the same columns
-- as the care lists), and a provider-scoped user sees exactly the beneficiaries whose
-- attributed TIN (and NPI) are theirs (web/access/principal.py Scope; docs/care-management.md).
with beneficiaries as (
    select
          mr_mbi, first_name, last_name, birth_date, sex_cd, death_date, in_cclf8
        , medicare_status_cd, dual_status_cd
    from {{ ref('dim_beneficiary') }}
)

, care as (
    select
          mr_mbi, beneficiary_name, attributed_tin, attributed_npi, attribution_source
        , attribution_month
    from {{ ref('int_care_beneficiary') }}
)

select
      beneficiaries.mr_mbi
    , care.beneficiary_name
    , beneficiaries.first_name
    , beneficiaries.last_name
    , beneficiaries.birth_date
    , beneficiaries.sex_cd
    , beneficiaries.death_date
    , beneficiaries.medicare_status_cd
    , beneficiaries.dual_status_cd
    , beneficiaries.in_cclf8
    , care.attributed_tin
    , care.attributed_npi
    , care.attribution_source
    , care.attribution_month
from beneficiaries
left join care
    on beneficiaries.mr_mbi = care.mr_mbi

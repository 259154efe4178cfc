-- The CMS-HCC inputs of every beneficiary the CCLF8 lists (docs/risk.md), one row per
-- beneficiary and enrollment month (fct_member_month rows with an enrollment type), or one
-- row with NULL enrollment_month when no month has one. Name and demographics are the newest CCLF8's
-- (dim_beneficiary; the Part B start date from the same delivery's row), repeated on every
-- month, so aco_pipeline.metrics.risk reads one mart and only aggregates a window of it:
-- payment-year months, ESRD months (enrollment type 1, CMS guide Appendix B) and the most
-- recent counted month's enrollment type and attributed provider.
with beneficiaries as (
    select
          mr_mbi
        , first_name
        , last_name
        , birth_date
        , death_date
        , sex_cd
        , dual_status_cd
        , original_entitlement_reason_cd
        , medicare_status_cd
        , newest_cclf8_delivery_id
    from {{ ref('dim_beneficiary') }}
    where in_cclf8
)

-- the CCLF8 row dim_beneficiary took its demographics from
, newest_cclf8 as (
    select mr_mbi, delivery_id, bene_part_b_enrlmt_bgn_dt as part_b_start_date
    from {{ ref('int_beneficiary_deliveries') }}
)

, member_months as (
    select mr_mbi, enrollment_month, enrollment_type, enrollment_type_label, is_counted
    from {{ ref('fct_member_month') }}
    where enrollment_type is not null
)

, attribution as (
    select mr_mbi, attribution_month, attributed_tin, attributed_npi
    from {{ ref('mart_provider_attribution_month') }}
)

select
      {{ key_of(['beneficiaries.mr_mbi', 'member_months.enrollment_month']) }}
        as risk_beneficiary_month_key
    , beneficiaries.mr_mbi
    , beneficiaries.first_name
    , beneficiaries.last_name
    , beneficiaries.birth_date
    , beneficiaries.death_date
    , beneficiaries.sex_cd
    , beneficiaries.dual_status_cd
    , beneficiaries.original_entitlement_reason_cd
    , beneficiaries.medicare_status_cd
    , newest_cclf8.part_b_start_date
    , member_months.enrollment_month
    , member_months.enrollment_type
    , member_months.enrollment_type_label
    , coalesce(member_months.is_counted, false) as is_counted
    , attribution.attributed_tin
    , attribution.attributed_npi
from beneficiaries
left join newest_cclf8
    on beneficiaries.mr_mbi = newest_cclf8.mr_mbi
    and beneficiaries.newest_cclf8_delivery_id = newest_cclf8.delivery_id
left join member_months
    on beneficiaries.mr_mbi = member_months.mr_mbi
left join attribution
    on member_months.mr_mbi = attribution.mr_mbi
    and member_months.enrollment_month = attribution.attribution_month

-- The patient page's timeline: one row per final-action claim (IP v40 5.2) per current MBI,
-- over all claims delivered: a Part A header (CCLF1), a Part B or DME claim (its final-action
-- lines, CCLF5/6), or a Part D event (CCLF7). Per claim: from and through dates, claim type
-- with its label, the care setting (seed patient_settings; a claim whose lines fall in
-- several service categories takes the one first in service_category_definitions'
-- display_order), the principal diagnosis (fct_diagnosis), the provider (Part A: facility
-- CCN and billing NPI; Part B: rendering TIN and NPI; DME: supplier NPI; of that same line),
-- whether it is an inpatient admission or an ED visit, and the paid amount: the sum of the
-- final-action lines' paid amounts (fct_claim.paid_amount; Part D: beneficiary-paid).
with claim_rows as (
    select
          claim_key
        , claim_family
        , cur_clm_uniq_id
        , clm_line_num
        , mr_mbi
        , clm_type_cd
        , clm_type_label
        , clm_from_dt
        , service_date
        , clm_idr_ld_dt
        , paid_amount
    from {{ ref('fct_claim') }}
)

-- the final-action version of each claim row with its service category
, categorised as (
    select
          {{ key_of(['claim_family', 'cur_clm_uniq_id', 'clm_line_num']) }} as claim_key
        , payment_key
        , service_category
        , medicare_part
        , is_invalid
        , visit_key
    from {{ ref('mart_service_category_payment') }}
    where is_final_action
)

, providers as (
    select payment_key, ccn, ccn_facility_type, tin, npi, admission_key
    from {{ ref('mart_provider_payment') }}
    where is_final_action
)

, settings as (
    select
          settings.service_category
        , settings.setting
        , settings.setting_label
        , min(definitions.display_order) as display_order
    from {{ ref('patient_settings') }} as settings
    inner join {{ ref('service_category_definitions') }} as definitions
        on settings.service_category = definitions.service_category
    group by settings.service_category, settings.setting, settings.setting_label
)

, lines as (
    select
          claim_rows.*
        , categorised.service_category
        , categorised.medicare_part
        , coalesce(categorised.is_invalid, false) as is_invalid
        , categorised.visit_key
        , providers.ccn
        , providers.ccn_facility_type
        , providers.tin
        , providers.npi
        , providers.admission_key
        , settings.setting
        , settings.setting_label
        , row_number() over (
            partition by claim_rows.claim_family, claim_rows.cur_clm_uniq_id
            order by coalesce(settings.display_order, 99), claim_rows.clm_line_num
          ) as line_rank
    from claim_rows
    left join categorised
        on claim_rows.claim_key = categorised.claim_key
    left join providers
        on categorised.payment_key = providers.payment_key
    left join settings
        on categorised.service_category = settings.service_category
)

, claims as (
    select
          claim_family
        , cur_clm_uniq_id
        , mr_mbi
        , min(clm_from_dt) as from_date
        , max(service_date) as thru_date
        , max(clm_idr_ld_dt) as clm_idr_ld_dt
        , cast(sum(paid_amount) as decimal(18, 2)) as paid_amount
        , count(*) as claim_lines
        , max(case when is_invalid then 1 else 0 end) = 1 as has_invalid_line
        , max(case when admission_key is not null then 1 else 0 end) = 1 as is_admission
        , max(case when service_category = 'ed_visit' and visit_key is not null
                   then 1 else 0 end) = 1 as is_ed_visit
    from lines
    group by claim_family, cur_clm_uniq_id, mr_mbi
)

-- the line that names the claim's setting and provider
, leading_line as (
    select
          claim_family, cur_clm_uniq_id, clm_type_cd, clm_type_label, service_category
        , medicare_part, setting, setting_label, ccn, ccn_facility_type, tin, npi
    from lines
    where line_rank = 1
)

, principal as (
    select
          claim_family
        , cur_clm_uniq_id
        , min(icd_code) as principal_diagnosis_cd
    from {{ ref('fct_diagnosis') }}
    where is_principal
    group by claim_family, cur_clm_uniq_id
)

, diagnosis_counts as (
    select
          claim_family
        , cur_clm_uniq_id
        , count(distinct icd_code) as diagnosis_codes
    from {{ ref('fct_diagnosis') }}
    group by claim_family, cur_clm_uniq_id
)

select
      {{ key_of(['claims.claim_family', 'claims.cur_clm_uniq_id']) }} as timeline_key
    , claims.mr_mbi
    , claims.claim_family
    , claims.cur_clm_uniq_id
    , claims.from_date
    , claims.thru_date
    , {{ month_start('claims.thru_date') }} as service_month
    , leading_line.clm_type_cd
    , leading_line.clm_type_label
    , leading_line.medicare_part
    , leading_line.service_category
    , coalesce(leading_line.setting, 'other') as setting
    , coalesce(leading_line.setting_label, 'Other') as setting_label
    , claims.is_admission
    , claims.is_ed_visit
    , principal.principal_diagnosis_cd
    , cast(coalesce(diagnosis_counts.diagnosis_codes, 0) as {{ dbt.type_bigint() }})
        as diagnosis_codes
    , leading_line.ccn
    , leading_line.ccn_facility_type
    , leading_line.tin
    , leading_line.npi
    , claims.paid_amount
    , cast(claims.claim_lines as {{ dbt.type_bigint() }}) as claim_lines
    , claims.has_invalid_line
    , claims.clm_idr_ld_dt
from claims
inner join leading_line
    on claims.claim_family = leading_line.claim_family
    and claims.cur_clm_uniq_id = leading_line.cur_clm_uniq_id
left join principal
    on claims.claim_family = principal.claim_family
    and claims.cur_clm_uniq_id = principal.cur_clm_uniq_id
left join diagnosis_counts
    on claims.claim_family = diagnosis_counts.claim_family
    and claims.cur_clm_uniq_id = diagnosis_counts.cur_clm_uniq_id

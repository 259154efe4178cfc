-- One row per beneficiary (MR_MBI) of dim_beneficiary with what every patient-level care list
-- shows beside the MBI: the name and death date of the newest CCLF8 (dim_beneficiary) and
-- the attributed TIN and NPI of the newest month mart_provider_attribution_month has for the
-- beneficiary (ALR tables 1-2 / 1-4, else the plurality of primary care visits;
-- docs/providers.md).
with beneficiaries as (
    select mr_mbi, first_name, last_name, death_date
    from {{ ref('dim_beneficiary') }}
)

, attribution_ranked as (
    select
          mr_mbi
        , attribution_month
        , attributed_tin
        , attributed_npi
        , attribution_source
        , row_number() over (
            partition by mr_mbi
            order by attribution_month desc
          ) as month_rank
    from {{ ref('mart_provider_attribution_month') }}
)

, newest_attribution as (
    select mr_mbi, attribution_month, attributed_tin, attributed_npi, attribution_source
    from attribution_ranked
    where month_rank = 1
)

select
      beneficiaries.mr_mbi
    , case
        when beneficiaries.last_name is not null and beneficiaries.first_name is not null
            then {{ dbt.concat(['beneficiaries.last_name', "', '", 'beneficiaries.first_name']) }}
        else coalesce(beneficiaries.last_name, beneficiaries.first_name)
      end as beneficiary_name
    , beneficiaries.death_date
    , newest_attribution.attributed_tin
    , newest_attribution.attributed_npi
    , newest_attribution.attribution_source
    , newest_attribution.attribution_month
from beneficiaries
left join newest_attribution
    on beneficiaries.mr_mbi = newest_attribution.mr_mbi

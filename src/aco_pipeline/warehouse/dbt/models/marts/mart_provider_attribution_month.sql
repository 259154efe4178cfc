-- Provider attribution per beneficiary (MR_MBI) and month (docs/providers.md).
--
-- attribution_source 'alr': an ALR whose period (quarter; year for an annual ALR) contains
-- the month lists the beneficiary in table 1-2: the TIN and NPI CMS assigned them through
-- (int_alr_attribution_month: most B_EM_LINE_CNT_T, NPI_USED / PCS_COUNT in table 1-4).
--
-- attribution_source 'plurality' (every other beneficiary-month): the TIN, and the NPI
-- within that TIN, that furnished the plurality of the beneficiary's primary care services
-- in the 12 months ending with the month. Modelled on MSSP claims-based assignment
-- (42 CFR 425.402):
--   step 1: primary care services (seed primary_care_service_codes) rendered by a primary
--           care physician or NPP (seed provider_specialty_groups);
--   step 2: when the beneficiary had none in the window, primary care services rendered by
--           any specialty.
-- Plurality counts visits (mart_care_em_visits rows: beneficiary, day, TIN, NPI) rather
-- than CMS's allowed charges; ties are broken by, in order: more allowed charges, the more
-- recent last visit, the lower TIN (NPI) as text. is_tie says the visit counts tied.
-- Visits without a rendering TIN are not attributable. Plurality months end with the last
-- month of claims; ALR months are the months of the ALR's period.
{%- set window_months = 12 %}
with visits as (
    select mr_mbi, visit_month, visit_date, tin, npi, is_primary_care_specialty, allowed_amount
    from {{ ref('mart_care_em_visits') }}
    where is_primary_care_service and tin is not null
)

, month_offsets as (
    {%- for k in range(window_months) %}
    select {{ k }} as month_offset
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

, last_claim_month as (
    select max(service_month) as last_month from {{ ref('fct_claim') }}
)

-- every visit counts in the windows of its own month and the 11 months after it
, windowed as (
    select
          visits.mr_mbi
        , {{ month_start(dbt.dateadd('month', 'month_offsets.month_offset', 'visits.visit_month')) }}
            as attribution_month
        , visits.tin
        , coalesce(visits.npi, '') as npi
        , visits.is_primary_care_specialty
        , visits.visit_date
        , visits.allowed_amount
    from visits
    cross join month_offsets
)

, bounded as (
    select windowed.*
    from windowed
    cross join last_claim_month
    where windowed.attribution_month <= last_claim_month.last_month
)

, step_of_beneficiary as (
    select
          mr_mbi
        , attribution_month
        , case when max(case when is_primary_care_specialty then 1 else 0 end) = 1
               then 1 else 2 end as attribution_step
        , count(*) as primary_care_visits
    from bounded
    group by mr_mbi, attribution_month
)

, eligible as (
    select
          bounded.*
        , step_of_beneficiary.attribution_step
        , step_of_beneficiary.primary_care_visits
    from bounded
    inner join step_of_beneficiary
        on bounded.mr_mbi = step_of_beneficiary.mr_mbi
        and bounded.attribution_month = step_of_beneficiary.attribution_month
    where step_of_beneficiary.attribution_step = 2 or bounded.is_primary_care_specialty
)

, by_tin as (
    select
          mr_mbi
        , attribution_month
        , attribution_step
        , primary_care_visits
        , tin
        , count(*) as tin_visits
        , cast(sum(allowed_amount) as decimal(18, 2)) as tin_allowed_amount
        , max(visit_date) as tin_last_visit_date
    from eligible
    group by mr_mbi, attribution_month, attribution_step, primary_care_visits, tin
)

, tins_ranked as (
    select
          by_tin.*
        , row_number() over (
            partition by mr_mbi, attribution_month
            order by tin_visits desc, tin_allowed_amount desc, tin_last_visit_date desc, tin
          ) as tin_rank
        , count(*) over (
            partition by mr_mbi, attribution_month, tin_visits
          ) as tins_with_same_visits
        , sum(tin_visits) over (partition by mr_mbi, attribution_month) as eligible_visits
    from by_tin
)

, attributed_tin as (
    select *
    from tins_ranked
    where tin_rank = 1
)

, by_npi as (
    select
          eligible.mr_mbi
        , eligible.attribution_month
        , eligible.npi
        , count(*) as npi_visits
        , cast(sum(eligible.allowed_amount) as decimal(18, 2)) as npi_allowed_amount
        , max(eligible.visit_date) as npi_last_visit_date
    from eligible
    inner join attributed_tin
        on eligible.mr_mbi = attributed_tin.mr_mbi
        and eligible.attribution_month = attributed_tin.attribution_month
        and eligible.tin = attributed_tin.tin
    where eligible.npi <> ''
    group by eligible.mr_mbi, eligible.attribution_month, eligible.npi
)

, attributed_npi as (
    select *
    from (
        select
              by_npi.*
            , row_number() over (
                partition by mr_mbi, attribution_month
                order by npi_visits desc, npi_allowed_amount desc, npi_last_visit_date desc, npi
              ) as npi_rank
            , count(*) over (
                partition by mr_mbi, attribution_month, npi_visits
              ) as npis_with_same_visits
        from by_npi
    ) as ranked
    where npi_rank = 1
)

, plurality as (
    select
          {{ key_of(['attributed_tin.mr_mbi', 'attributed_tin.attribution_month']) }}
            as attribution_key
        , attributed_tin.mr_mbi
        , attributed_tin.attribution_month
        , cast({{ dbt.dateadd('month', -(window_months - 1), 'attributed_tin.attribution_month') }}
            as date) as window_start_month
        , attributed_tin.attribution_step
        , attributed_tin.tin as attributed_tin
        , attributed_npi.npi as attributed_npi
        , attributed_tin.primary_care_visits
        , attributed_tin.eligible_visits
        , attributed_tin.tin_visits
        , attributed_tin.tin_allowed_amount
        , attributed_tin.tin_last_visit_date
        , attributed_tin.tins_with_same_visits > 1 as is_tin_tie
        , attributed_npi.npi_visits
        , coalesce(attributed_npi.npis_with_same_visits > 1, false) as is_npi_tie
    from attributed_tin
    left join attributed_npi
        on attributed_tin.mr_mbi = attributed_npi.mr_mbi
        and attributed_tin.attribution_month = attributed_npi.attribution_month
)

, alr as (
    select * from {{ ref('int_alr_attribution_month') }}
)

-- months the ALR decides: the ALR's TIN and NPI; the claims' plurality TIN beside it
, from_alr as (
    select
          alr.attribution_key
        , alr.mr_mbi
        , alr.attribution_month
        , cast({{ dbt.dateadd('month', -(window_months - 1), 'alr.period_end_month') }}
            as date) as window_start_month
        , 'alr' as attribution_source
        , cast(null as {{ dbt.type_int() }}) as attribution_step
        , alr.alr_tin as attributed_tin
        , alr.alr_npi as attributed_npi
        , cast(null as {{ dbt.type_bigint() }}) as primary_care_visits
        , cast(null as {{ dbt.type_bigint() }}) as eligible_visits
        , cast(null as {{ dbt.type_bigint() }}) as tin_visits
        , cast(null as decimal(18, 2)) as tin_allowed_amount
        , cast(null as date) as tin_last_visit_date
        , alr.is_tin_tie
        , cast(null as {{ dbt.type_bigint() }}) as npi_visits
        , alr.is_npi_tie
        , alr.alr_report_id
        , alr.tin_em_lines as alr_tin_em_lines
        , alr.npi_pcs_count as alr_npi_pcs_count
        , plurality.attributed_tin as plurality_tin
    from alr
    left join plurality
        on alr.mr_mbi = plurality.mr_mbi
        and alr.attribution_month = plurality.attribution_month
)

-- every other month: the plurality of primary care visits
, from_plurality as (
    select
          plurality.attribution_key
        , plurality.mr_mbi
        , plurality.attribution_month
        , plurality.window_start_month
        , 'plurality' as attribution_source
        , plurality.attribution_step
        , plurality.attributed_tin
        , plurality.attributed_npi
        , plurality.primary_care_visits
        , plurality.eligible_visits
        , plurality.tin_visits
        , plurality.tin_allowed_amount
        , plurality.tin_last_visit_date
        , plurality.is_tin_tie
        , plurality.npi_visits
        , plurality.is_npi_tie
        , cast(null as {{ dbt.type_string() }}) as alr_report_id
        , cast(null as {{ dbt.type_bigint() }}) as alr_tin_em_lines
        , cast(null as {{ dbt.type_bigint() }}) as alr_npi_pcs_count
        , plurality.attributed_tin as plurality_tin
    from plurality
    left join alr
        on plurality.mr_mbi = alr.mr_mbi
        and plurality.attribution_month = alr.attribution_month
    where alr.mr_mbi is null
)

, combined as (
    select * from from_alr
    union all
    select * from from_plurality
)

select * from combined

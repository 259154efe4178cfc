-- Provider panels with their person-months (docs/providers.md): for every attribution month
-- M of mart_provider_attribution_month, each beneficiary attributed in M with each of their
-- fct_member_month months in the 12 months ending with M (M - 11 .. M), and is_counted, the
-- one definition of a counted person-month (fct_member_month; enrollment type 1-4, alive,
-- not opted out, not known to be unassigned). A panel member without a member month in the
-- window has one row with enrollment_month NULL. A scorecard for a period of up to 12
-- months ending in M reads the rows of M: panel = distinct beneficiaries, person-years =
-- counted months in the period / 12.
{%- set window_months = 12 %}
with panel as (
    select
          mr_mbi, attribution_month, attributed_tin, attributed_npi, attribution_source
        , attribution_step
    from {{ ref('mart_provider_attribution_month') }}
)

, member_months as (
    select mr_mbi, enrollment_month, is_counted
    from {{ ref('fct_member_month') }}
)

, windowed as (
    select
          panel.mr_mbi
        , panel.attribution_month
        , member_months.enrollment_month
        , member_months.is_counted
    from panel
    inner join member_months
        on panel.mr_mbi = member_months.mr_mbi
        and member_months.enrollment_month <= panel.attribution_month
        and member_months.enrollment_month >= cast({{ dbt.dateadd(
              'month', -(window_months - 1), 'panel.attribution_month') }} as date)
)

select
      {{ key_of(['panel.attribution_month', 'panel.mr_mbi', 'windowed.enrollment_month']) }}
        as panel_month_key
    , panel.attribution_month
    , panel.mr_mbi
    , panel.attributed_tin
    , panel.attributed_npi
    , panel.attribution_source
    , panel.attribution_step
    , windowed.enrollment_month
    , coalesce(windowed.is_counted, false) as is_counted
from panel
left join windowed
    on panel.mr_mbi = windowed.mr_mbi
    and panel.attribution_month = windowed.attribution_month

-- Monthly enrollment type from CCLF8 by the CMS guide's Appendix B algorithm (steps 1-6),
-- using the CCLF8 of the monthly delivery whose reference month it is (the month before the
-- delivery's creation date). Codes (guide Table 13): 0 not eligible/decedent, 1 ESRD,
-- 2 disabled, 3 aged/dual, 4 aged/non-dual. The guide's two refinements are options:
--   var enrollment_not_eligible_as_esrd: a non-decedent "not eligible" (step 6) -> ESRD;
--   var enrollment_disabled_65_as_aged: "disabled" aged 65+ on the month's first day -> aged
--   (dual or non-dual by the dual status code).
with monthly as (
    select *
    from {{ ref('int_beneficiary_deliveries') }}
    where run_type = 'monthly'
)

-- a reference month normally has one monthly delivery; if CMS re-issued it, the newest wins
, newest_delivery as (
    select
          monthly.*
        , row_number() over (
            partition by mr_mbi, reference_month
            order by delivery_date desc, delivery_id desc
          ) as delivery_rank
    from monthly
)

, inputs as (
    select
          mr_mbi
        , reference_month as enrollment_month
        , delivery_id
        , bene_death_dt
        , bene_mdcr_stus_cd
        , bene_dual_stus_cd
        , bene_dob
        , case when bene_death_dt < reference_month then true else false end as died_before_month
        , case when bene_dual_stus_cd in ('01', '02') then true else false end as is_dual
        , case when bene_dob is not null
                and {{ dbt.dateadd('year', 65, 'bene_dob') }} <= reference_month
               then true else false end as is_65_or_older
    from newest_delivery
    where delivery_rank = 1
)

-- guide Appendix B steps 1-6, in order
, guide_steps as (
    select
          inputs.*
        , case
            when died_before_month then 0
            when bene_mdcr_stus_cd in ('31', '21', '11') then 1
            when bene_mdcr_stus_cd = '20' then 2
            when bene_mdcr_stus_cd = '10' and is_dual then 3
            when bene_mdcr_stus_cd = '10' then 4
            else 0
          end as enrollment_type_guide
    from inputs
)

, refined as (
    select
          guide_steps.*
        {%- if var('enrollment_not_eligible_as_esrd') or var('enrollment_disabled_65_as_aged') %}
        , case
            {%- if var('enrollment_not_eligible_as_esrd') %}
            when enrollment_type_guide = 0 and not died_before_month then 1
            {%- endif %}
            {%- if var('enrollment_disabled_65_as_aged') %}
            when enrollment_type_guide = 2 and is_65_or_older and is_dual then 3
            when enrollment_type_guide = 2 and is_65_or_older then 4
            {%- endif %}
            else enrollment_type_guide
          end as enrollment_type
        {%- else %}
        , enrollment_type_guide as enrollment_type
        {%- endif %}
    from guide_steps
)

select
      mr_mbi
    , enrollment_month
    , enrollment_type
    , enrollment_type_guide
    , bene_mdcr_stus_cd
    , bene_dual_stus_cd
    , died_before_month
    , delivery_id
from refined

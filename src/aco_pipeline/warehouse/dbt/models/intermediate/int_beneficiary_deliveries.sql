-- CCLF8 rows with MR_MBI, one row per beneficiary per delivery (monthly and run-out).
-- When a delivery lists several range rows for one beneficiary (key BENE_MBI_ID,
-- BENE_RNG_BGN_DT, BENE_RNG_END_DT) the latest range is kept.
with demographics as (
    select * from {{ ref('stg_cclf8') }}
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, with_mr_mbi as (
    select
          demographics.*
        , coalesce(crosswalk.current_mbi, demographics.bene_mbi_id) as mr_mbi
    from demographics
    left join crosswalk
        on demographics.bene_mbi_id = crosswalk.previous_mbi
)

, ranked as (
    select
          with_mr_mbi.*
        , row_number() over (
            partition by delivery_id, mr_mbi
            order by bene_rng_bgn_dt desc, bene_rng_end_dt desc, line_number desc
          ) as range_rank
    from with_mr_mbi
)

, one_per_delivery as (
    select
          mr_mbi
        , bene_mbi_id
        , delivery_id
        , delivery_date
        , run_type
        , reference_month
        , bene_dob
        , bene_sex_cd
        , bene_1st_name
        , bene_last_name
        , bene_death_dt
        , bene_mdcr_stus_cd
        , bene_dual_stus_cd
        , bene_orgnl_entlmt_rsn_cd
        , bene_part_b_enrlmt_bgn_dt
        , bene_fips_state_cd
        , bene_fips_cnty_cd
        , bene_zip_cd
        , bene_rng_bgn_dt
        , bene_rng_end_dt
        , source_file
        , line_number
    from ranked
    where range_rank = 1
)

select * from one_per_delivery

-- The TIN and NPI each assigned beneficiary was assigned through, per current MBI (MR_MBI,
-- IP v40 5.1.1) and ALR report, from ALR tables 1-2 and 1-4 (cclf-notes.md, "Assignment
-- List Report (ALR)"; docs/providers.md):
--   TIN: the table 1-2 TIN with the most primary care service lines (B_EM_LINE_CNT_T).
--        Ties: the lowest TIN as text (the ALR does not report the allowed charges CMS
--        breaks assignment ties with, 42 CFR 425.402); is_tin_tie says the counts tied.
--   NPI: among the table 1-4 rows of the same report and that TIN, the NPI flagged
--        NPI_USED (Y or 1, or NPI_USED holding the NPI itself), then the most PCS_COUNT,
--        then the lowest NPI as text; is_npi_tie says the flag and count tied. NULL when
--        table 1-4 has no row for the TIN.
-- A beneficiary listed under a previous MBI is keyed by the current one; rows of several
-- MBIs of one person in one report are added up per TIN (NPI).
with tin_rows as (
    select * from {{ ref('stg_alr_1_2') }}
)

, npi_rows as (
    select * from {{ ref('stg_alr_1_4') }}
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, tin_with_mr_mbi as (
    select
          coalesce(crosswalk.current_mbi, tin_rows.bene_mbi_id) as mr_mbi
        , tin_rows.alr_report_id
        , tin_rows.report_type
        , tin_rows.period_start_month
        , tin_rows.period_end_month
        , tin_rows.delivery_date
        , tin_rows.tin
        , coalesce(tin_rows.b_em_line_cnt_t, 0) as em_lines
    from tin_rows
    left join crosswalk
        on tin_rows.bene_mbi_id = crosswalk.previous_mbi
    where tin_rows.tin is not null
)

, report_dates as (
    select alr_report_id, max(delivery_date) as alr_delivery_date
    from tin_with_mr_mbi
    group by alr_report_id
)

, lines_by_tin as (
    select
          mr_mbi
        , alr_report_id
        , report_type
        , period_start_month
        , period_end_month
        , tin
        , cast(sum(em_lines) as {{ dbt.type_bigint() }}) as tin_em_lines
    from tin_with_mr_mbi
    group by mr_mbi, alr_report_id, report_type, period_start_month, period_end_month, tin
)

, tins_ranked as (
    select
          lines_by_tin.*
        , row_number() over (
            partition by mr_mbi, alr_report_id
            order by tin_em_lines desc, tin
          ) as tin_rank
        , count(*) over (partition by mr_mbi, alr_report_id, tin_em_lines) as tins_with_same_lines
        , count(*) over (partition by mr_mbi, alr_report_id) as tins_listed
    from lines_by_tin
)

, attributed_tin as (
    select *
    from tins_ranked
    where tin_rank = 1
)

, npi_with_mr_mbi as (
    select
          coalesce(crosswalk.current_mbi, npi_rows.bene_mbi_id) as mr_mbi
        , npi_rows.alr_report_id
        , npi_rows.tin
        , coalesce(
            npi_rows.npi
            , case when {{ dbt.length('npi_rows.npi_used') }} = 10 then npi_rows.npi_used end
          ) as npi
        , case
            when upper(npi_rows.npi_used) in ('Y', '1') then 1
            when npi_rows.npi is not null and npi_rows.npi_used = npi_rows.npi then 1
            when npi_rows.npi is null and {{ dbt.length('npi_rows.npi_used') }} = 10 then 1
            else 0
          end as is_npi_used
        , coalesce(npi_rows.pcs_count, 0) as pcs_count
    from npi_rows
    left join crosswalk
        on npi_rows.bene_mbi_id = crosswalk.previous_mbi
    where npi_rows.tin is not null
)

, services_by_npi as (
    select
          npi_with_mr_mbi.mr_mbi
        , npi_with_mr_mbi.alr_report_id
        , npi_with_mr_mbi.npi
        , max(npi_with_mr_mbi.is_npi_used) as is_npi_used
        , cast(sum(npi_with_mr_mbi.pcs_count) as {{ dbt.type_bigint() }}) as npi_pcs_count
    from npi_with_mr_mbi
    inner join attributed_tin
        on npi_with_mr_mbi.mr_mbi = attributed_tin.mr_mbi
        and npi_with_mr_mbi.alr_report_id = attributed_tin.alr_report_id
        and npi_with_mr_mbi.tin = attributed_tin.tin
    where npi_with_mr_mbi.npi is not null
    group by npi_with_mr_mbi.mr_mbi, npi_with_mr_mbi.alr_report_id, npi_with_mr_mbi.npi
)

, npis_ranked as (
    select
          services_by_npi.*
        , row_number() over (
            partition by mr_mbi, alr_report_id
            order by is_npi_used desc, npi_pcs_count desc, npi
          ) as npi_rank
        , count(*) over (
            partition by mr_mbi, alr_report_id, is_npi_used, npi_pcs_count
          ) as npis_with_same_rank
    from services_by_npi
)

, attributed_npi as (
    select *
    from npis_ranked
    where npi_rank = 1
)

, final as (
    select
          {{ key_of(['attributed_tin.mr_mbi', 'attributed_tin.alr_report_id']) }}
            as alr_attribution_key
        , attributed_tin.mr_mbi
        , attributed_tin.alr_report_id
        , attributed_tin.report_type
        , attributed_tin.period_start_month
        , attributed_tin.period_end_month
        , report_dates.alr_delivery_date
        , attributed_tin.tin as alr_tin
        , attributed_tin.tin_em_lines
        , attributed_tin.tins_listed
        , attributed_tin.tins_with_same_lines > 1 as is_tin_tie
        , attributed_npi.npi as alr_npi
        , attributed_npi.npi_pcs_count
        , attributed_npi.is_npi_used = 1 as is_npi_used
        , coalesce(attributed_npi.npis_with_same_rank > 1, false) as is_npi_tie
    from attributed_tin
    inner join report_dates
        on attributed_tin.alr_report_id = report_dates.alr_report_id
    left join attributed_npi
        on attributed_tin.mr_mbi = attributed_npi.mr_mbi
        and attributed_tin.alr_report_id = attributed_npi.alr_report_id
)

select * from final

-- The payments behind expenditure (IP v40 5.3.1): every distinct Part A header version and
-- Part B/DME line version, signed (cancellations negated), so that a sum over any subset of
-- claims loaded by a cut-off date is the debit/credit net as of that date (IP v40 3.4);
-- plus the final-action Part D events (CCLF7 is final action, IP v40 3.3), whose amount is
-- CLM_LINE_BENE_PMT_AMT (CCLF7 v40 carries no plan-paid amount). Part A versions also carry
-- their signed IME/DSH/UCC amounts (CMS guide v4 Appendix A phase 5, step 2).
{#- Part A headers (no line number), Part B and DME lines: the same columns from each
    family's final-action model. -#}
{%- set families = [
      ('part_a', none)
    , ('part_b', 'line_num')
    , ('dme', 'line_num')
] %}
{{ config(**claim_incremental_config()) }}
with
{%- for family, line_column in families %}
{{ ', ' if not loop.first }}{{ family }} as (
    select
          '{{ family }}' as claim_family
        , version_key
        , cur_clm_uniq_id
        , {{ line_column or 'cast(null as ' ~ dbt.type_int() ~ ')' }} as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_thru_dt as service_date
        , clm_idr_ld_dt
        , cast(signed_paid_amount as decimal(15, 2)) as signed_paid_amount
        , is_final_action
        , {{ "trim(clm_bill_fac_type_cd)" if family == 'part_a'
             else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as clm_bill_fac_type_cd
        , {{ "trim(clm_bill_clsfctn_cd)" if family == 'part_a'
             else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as clm_bill_clsfctn_cd
    from {{ claim_ref('int_final_action_' ~ family, family) }}
)
{% endfor %}
, part_d as (
    select
          'part_d' as claim_family
        , version_key
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_line_from_dt as service_date
        , clm_idr_ld_dt
        , cast(clm_line_bene_pmt_amt as decimal(15, 2)) as signed_paid_amount
        , is_final_action
        , cast(null as {{ dbt.type_string() }}) as clm_bill_fac_type_cd
        , cast(null as {{ dbt.type_string() }}) as clm_bill_clsfctn_cd
    from {{ claim_ref('int_final_action_part_d', 'part_d') }}
    where is_final_action
)

, unioned as (
    select * from part_a
    union all
    select * from part_b
    union all
    select * from dme
    union all
    select * from part_d
)

-- IP v40 5.4: a Part A-file claim is paid under Part A or Part B by its facility type and
-- service classification (seed institutional_medicare_part; e.g. outpatient 13x is Part B);
-- CCLF5 and CCLF6 lines are Part B; CCLF7 events Part D. A CCLF1 claim whose pair is not
-- listed (or blank) stays Part A, as IP v40 5.3.1 counts every CCLF1 claim as Part A
, institutional_parts as (
    select clm_bill_fac_type_cd, clm_bill_clsfctn_cd, medicare_part
    from {{ ref('institutional_medicare_part') }}
)

, claim_types as (
    select clm_type_cd, claim_family, description as clm_type_label
    from {{ ref('claim_type_codes') }}
)

-- the payment columns as before; medicare_part, the claim type's label and the IME/DSH/UCC
-- columns after them
, payments as (
    select
          {{ key_of(['unioned.claim_family', 'unioned.version_key']) }} as payment_key
        , unioned.claim_family
        , unioned.version_key
        , unioned.cur_clm_uniq_id
        , unioned.clm_line_num
        , unioned.mr_mbi
        , unioned.clm_type_cd
        , unioned.adjustment_type
        , unioned.service_date
        , unioned.clm_idr_ld_dt
        , unioned.signed_paid_amount
        , unioned.is_final_action
        , {{ month_start('unioned.service_date') }} as service_month
        , case unioned.claim_family
            when 'part_a' then coalesce(institutional_parts.medicare_part, 'A')
            when 'part_d' then 'D'
            else 'B'
          end as medicare_part
        , claim_types.clm_type_label
    from unioned
    left join claim_types
        on unioned.claim_family = claim_types.claim_family
        and trim(unioned.clm_type_cd) = claim_types.clm_type_cd
    left join institutional_parts
        on unioned.clm_bill_fac_type_cd = institutional_parts.clm_bill_fac_type_cd
        and unioned.clm_bill_clsfctn_cd = institutional_parts.clm_bill_clsfctn_cd
)

-- CMS guide v4 Appendix A phase 5 step 2: the CCLF1 IME (capital + operating), DSH (capital +
-- operating) and UCC amounts of each Part A version, signed like its paid amount so that a sum
-- under the same run-out cut-off nets cancellations; zero for Part B, DME and Part D.
, part_a_ime_dsh_ucc as (
    select
          version_key
        , coalesce(clm_mdcr_ip_pps_cptl_ime_amt, 0)
            + coalesce(clm_oprtnl_ime_amt, 0) as ime_amount
        , coalesce(clm_mdcr_ip_pps_dsprprtnt_amt, 0)
            + coalesce(clm_oprtnl_dsprprtnt_amt, 0) as dsh_amount
        , coalesce(clm_hipps_uncompd_care_amt, 0) as ucc_amount
    from {{ claim_ref('int_claim_ime_dsh_ucc_part_a', 'part_a') }}
)

{%- set signed = "payments.adjustment_type" %}
select
      payments.*
{%- for name in ['ime', 'dsh', 'ucc'] %}
    , cast(coalesce({{ signed_amount('part_a_ime_dsh_ucc.' ~ name ~ '_amount', signed) }}, 0)
        as decimal(18, 2)) as signed_{{ name }}_amount
{%- endfor %}
from payments
left join part_a_ime_dsh_ucc
    on payments.claim_family = 'part_a'
    and payments.version_key = part_a_ime_dsh_ucc.version_key

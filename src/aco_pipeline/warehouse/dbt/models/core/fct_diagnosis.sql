-- Diagnoses of final-action claims, long: one row per claim, source, line and sequence
-- (never 25 wide columns). Sources:
--   cclf4            Part A diagnosis file (IP v40 2.2.4): CLM_PROD_TYPE_CD (P principal,
--                    A admitting, D other, E external cause...) and CLM_VAL_SQNC_NUM, POA;
--   cclf1_admitting  CCLF1 ADMTG_DGNS_CD;
--   cclf1_principal  CCLF1 PRNCPL_DGNS_CD, only when CCLF4 has no principal row for the claim
--                    (CCLF4 repeats the principal diagnosis);
--   cclf5_claim      CCLF5 CLM_DGNS_1_CD..CLM_DGNS_12_CD (claim level, once per claim);
--   cclf5_line       CCLF5 CLM_LINE_DGNS_CD (per line).
-- CCLF4 is read when the build passes its lake glob (var lake_globs.cclf4).
{%- set has_cclf4 = 'cclf4' in var('lake_globs') %}

{{ config(**claim_incremental_config()) }}
with part_a_headers as (
    select
          cur_clm_uniq_id
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt
        , prncpl_dgns_cd
        , admtg_dgns_cd
        , dgns_prcdr_icd_ind
    from {{ claim_ref('int_final_action_part_a', 'part_a') }}
    where is_final_action
)

{%- if has_cclf4 %}

-- a diagnosis row re-sent in later deliveries counts once: the most recently delivered copy
, cclf4_copies as (
    select
          dx.cur_clm_uniq_id
        , dx.clm_prod_type_cd
        , cast(dx.clm_val_sqnc_num as {{ dbt.type_int() }}) as diagnosis_sequence
        , trim(dx.clm_dgns_cd) as icd_code
        , dx.clm_poa_ind
        , dx.dgns_prcdr_icd_ind
        , row_number() over (
            partition by dx.cur_clm_uniq_id, dx.clm_prod_type_cd, dx.clm_val_sqnc_num
            order by dx.delivery_date desc, dx.delivery desc, dx.line_number desc
          ) as copy_rank
    from {{ claim_ref('stg_cclf4', 'part_a') }} as dx
    inner join part_a_headers
        on dx.cur_clm_uniq_id = part_a_headers.cur_clm_uniq_id
)

, cclf4 as (
    select
          'part_a' as claim_family
        , part_a_headers.cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , part_a_headers.mr_mbi
        , part_a_headers.clm_type_cd
        , part_a_headers.clm_thru_dt as service_date
        , 'cclf4' as diagnosis_source
        , cclf4_copies.clm_prod_type_cd as diagnosis_type_cd
        , cclf4_copies.diagnosis_sequence
        , cclf4_copies.icd_code
        , cclf4_copies.dgns_prcdr_icd_ind as icd_version_cd
        , cclf4_copies.clm_prod_type_cd = 'P' as is_principal
        , cclf4_copies.clm_poa_ind as poa_indicator
    from cclf4_copies
    inner join part_a_headers
        on cclf4_copies.cur_clm_uniq_id = part_a_headers.cur_clm_uniq_id
    where cclf4_copies.copy_rank = 1
)

, cclf4_principal as (
    select distinct cur_clm_uniq_id from cclf4 where is_principal
)
{%- else %}

, cclf4 as (
    select
          cast(null as {{ dbt.type_string() }}) as claim_family
        , cast(null as {{ dbt.type_string() }}) as cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , cast(null as {{ dbt.type_string() }}) as mr_mbi
        , cast(null as {{ dbt.type_string() }}) as clm_type_cd
        , cast(null as date) as service_date
        , cast(null as {{ dbt.type_string() }}) as diagnosis_source
        , cast(null as {{ dbt.type_string() }}) as diagnosis_type_cd
        , cast(null as {{ dbt.type_int() }}) as diagnosis_sequence
        , cast(null as {{ dbt.type_string() }}) as icd_code
        , cast(null as {{ dbt.type_string() }}) as icd_version_cd
        , cast(null as {{ dbt.type_boolean() }}) as is_principal
        , cast(null as {{ dbt.type_string() }}) as poa_indicator
    from part_a_headers
    where 1 = 0
)

, cclf4_principal as (
    select cur_clm_uniq_id from cclf4
)
{%- endif %}

, cclf1_principal as (
    select
          'part_a' as claim_family
        , part_a_headers.cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , part_a_headers.mr_mbi
        , part_a_headers.clm_type_cd
        , part_a_headers.clm_thru_dt as service_date
        , 'cclf1_principal' as diagnosis_source
        , 'P' as diagnosis_type_cd
        , 1 as diagnosis_sequence
        , trim(part_a_headers.prncpl_dgns_cd) as icd_code
        , part_a_headers.dgns_prcdr_icd_ind as icd_version_cd
        , true as is_principal
        , cast(null as {{ dbt.type_string() }}) as poa_indicator
    from part_a_headers
    left join cclf4_principal
        on part_a_headers.cur_clm_uniq_id = cclf4_principal.cur_clm_uniq_id
    where cclf4_principal.cur_clm_uniq_id is null
      and part_a_headers.prncpl_dgns_cd is not null
      and trim(part_a_headers.prncpl_dgns_cd) <> ''
)

, cclf1_admitting as (
    select
          'part_a' as claim_family
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt as service_date
        , 'cclf1_admitting' as diagnosis_source
        , 'A' as diagnosis_type_cd
        , 1 as diagnosis_sequence
        , trim(admtg_dgns_cd) as icd_code
        , dgns_prcdr_icd_ind as icd_version_cd
        , false as is_principal
        , cast(null as {{ dbt.type_string() }}) as poa_indicator
    from part_a_headers
    where admtg_dgns_cd is not null
      and trim(admtg_dgns_cd) <> ''
)

, part_b_lines as (
    select
          cur_clm_uniq_id
        , line_num
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt
        , dgns_prcdr_icd_ind
        , clm_line_dgns_cd
        {%- for i in range(1, 13) %}
        , clm_dgns_{{ i }}_cd
        {%- endfor %}
        , row_number() over (
            partition by cur_clm_uniq_id order by line_num
          ) as line_rank
    from {{ claim_ref('int_final_action_part_b', 'part_b') }}
    where is_final_action
)

-- claim-level diagnoses repeat on every line of the claim: take them from its first line
, cclf5_claim as (
    {%- for i in range(1, 13) %}
    select
          'part_b' as claim_family
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt as service_date
        , 'cclf5_claim' as diagnosis_source
        , cast(null as {{ dbt.type_string() }}) as diagnosis_type_cd
        , {{ i }} as diagnosis_sequence
        , trim(clm_dgns_{{ i }}_cd) as icd_code
        , dgns_prcdr_icd_ind as icd_version_cd
        , {{ 'true' if i == 1 else 'false' }} as is_principal
        , cast(null as {{ dbt.type_string() }}) as poa_indicator
    from part_b_lines
    where line_rank = 1
      and clm_dgns_{{ i }}_cd is not null
      and trim(clm_dgns_{{ i }}_cd) <> ''
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

, cclf5_line as (
    select
          'part_b' as claim_family
        , cur_clm_uniq_id
        , line_num as clm_line_num
        , mr_mbi
        , clm_type_cd
        , clm_thru_dt as service_date
        , 'cclf5_line' as diagnosis_source
        , cast(null as {{ dbt.type_string() }}) as diagnosis_type_cd
        , 1 as diagnosis_sequence
        , trim(clm_line_dgns_cd) as icd_code
        , dgns_prcdr_icd_ind as icd_version_cd
        , false as is_principal
        , cast(null as {{ dbt.type_string() }}) as poa_indicator
    from part_b_lines
    where clm_line_dgns_cd is not null
      and trim(clm_line_dgns_cd) <> ''
)

, unioned as (
    select * from cclf4
    union all
    select * from cclf1_principal
    union all
    select * from cclf1_admitting
    union all
    select * from cclf5_claim
    union all
    select * from cclf5_line
)

select
      {{ key_of(['claim_family', 'cur_clm_uniq_id', 'diagnosis_source', 'diagnosis_type_cd',
                 'clm_line_num', 'diagnosis_sequence']) }} as diagnosis_key
    , claim_family
    , cur_clm_uniq_id
    , clm_line_num
    , mr_mbi
    , clm_type_cd
    , service_date
    , {{ month_start('service_date') }} as service_month
    , diagnosis_source
    , diagnosis_type_cd
    , cast(diagnosis_sequence as {{ dbt.type_int() }}) as diagnosis_sequence
    , icd_code
    , icd_version_cd
    , is_principal
    , poa_indicator
from unioned

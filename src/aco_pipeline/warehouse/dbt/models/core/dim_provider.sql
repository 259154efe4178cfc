-- One row per provider identifier and identifier type (NPI, TIN, CCN) seen in any delivered
-- claim row (CCLF1/2/5/6/7), with the roles it was seen in (billing, facility, attending,
-- operating, other, rendering, referring, ordering, pharmacy, prescriber) and the span of
-- service dates. CCLF7 identifiers count only when their qualifier says NPI ('01').
{%- set uses = [
    ('stg_cclf1', 'clm_blg_prvdr_oscar_num', 'ccn', 'billing', 'clm_thru_dt', none),
    ('stg_cclf1', 'prvdr_oscar_num', 'ccn', 'facility', 'clm_thru_dt', none),
    ('stg_cclf1', 'clm_blg_prvdr_npi_num', 'npi', 'billing', 'clm_thru_dt', none),
    ('stg_cclf1', 'fac_prvdr_npi_num', 'npi', 'facility', 'clm_thru_dt', none),
    ('stg_cclf1', 'atndg_prvdr_npi_num', 'npi', 'attending', 'clm_thru_dt', none),
    ('stg_cclf1', 'clm_atndg_prvdr_npi_num', 'npi', 'attending', 'clm_thru_dt', none),
    ('stg_cclf1', 'oprtg_prvdr_npi_num', 'npi', 'operating', 'clm_thru_dt', none),
    ('stg_cclf1', 'clm_oprtg_prvdr_npi_num', 'npi', 'operating', 'clm_thru_dt', none),
    ('stg_cclf1', 'othr_prvdr_npi_num', 'npi', 'other', 'clm_thru_dt', none),
    ('stg_cclf1', 'clm_othr_prvdr_npi_num', 'npi', 'other', 'clm_thru_dt', none),
    ('stg_cclf2', 'clm_fac_prvdr_oscar_num', 'ccn', 'facility', 'clm_thru_dt', none),
    ('stg_cclf5', 'clm_rndrg_prvdr_tax_num', 'tin', 'billing', 'clm_thru_dt', none),
    ('stg_cclf5', 'rndrg_prvdr_npi_num', 'npi', 'rendering', 'clm_thru_dt', none),
    ('stg_cclf5', 'clm_rndrg_prvdr_npi_num', 'npi', 'rendering', 'clm_thru_dt', none),
    ('stg_cclf5', 'clm_rfrg_prvdr_npi_num', 'npi', 'referring', 'clm_thru_dt', none),
    ('stg_cclf6', 'payto_prvdr_npi_num', 'npi', 'billing', 'clm_thru_dt', none),
    ('stg_cclf6', 'clm_blg_prvdr_npi_num', 'npi', 'billing', 'clm_thru_dt', none),
    ('stg_cclf6', 'ordrg_prvdr_npi_num', 'npi', 'ordering', 'clm_thru_dt', none),
    ('stg_cclf6', 'clm_rfrg_prvdr_npi_num', 'npi', 'referring', 'clm_thru_dt', none),
    ('stg_cclf7', 'clm_srvc_prvdr_gnrc_id_num', 'npi', 'pharmacy', 'clm_line_from_dt', 'prvdr_srvc_id_qlfyr_cd'),
    ('stg_cclf7', 'clm_prsbng_prvdr_gnrc_id_num', 'npi', 'prescriber', 'clm_line_from_dt', 'prvdr_prsbng_id_qlfyr_cd'),
] -%}
{%- set roles = ['billing', 'facility', 'attending', 'operating', 'other', 'rendering',
                 'referring', 'ordering', 'pharmacy', 'prescriber'] %}

with identifier_uses as (
    {%- for model, column, id_type, role, date_column, qualifier in uses %}
    select
          trim({{ column }}) as provider_id
        , '{{ id_type }}' as provider_id_type
        , '{{ role }}' as provider_role
        , '{{ model }}' as seen_in
        , {{ date_column }} as service_date
        , cur_clm_uniq_id
    from {{ ref(model) }}
    where {{ column }} is not null
      and trim({{ column }}) <> ''
      {%- if qualifier %}
      and {{ qualifier }} = '01'
      {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

, providers as (
    select
          provider_id
        , provider_id_type
        {%- for role in roles %}
        , max(case when provider_role = '{{ role }}' then 1 else 0 end) = 1 as is_{{ role }}
        {%- endfor %}
        , min(service_date) as first_service_date
        , max(service_date) as last_service_date
        , count(distinct cur_clm_uniq_id) as claims_seen
    from identifier_uses
    group by provider_id, provider_id_type
)

select
      {{ key_of(['provider_id_type', 'provider_id']) }} as provider_key
    , providers.*
from providers

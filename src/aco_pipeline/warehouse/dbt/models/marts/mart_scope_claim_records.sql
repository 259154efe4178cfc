-- Every distinct Part A header / Part B / DME line version with the CMS guide's per-version
-- scope flags (Appendix A phase 1): how many lake rows carried it (records_delivered), how many
-- of those are duplicates, whether it is invalid and why. The report-time steps (incurred
-- before/after the period, paid after the run-out) are applied by `aco report scope`
-- (aco_pipeline.warehouse.reports.scope) because the period and run-out vary per report.
{{ config(**claim_incremental_config()) }}
with part_a as (
    select * from {{ claim_ref('int_claim_validity_part_a', 'part_a') }}
)

, part_b as (
    select * from {{ claim_ref('int_claim_validity_part_b', 'part_b') }}
)

, dme as (
    select * from {{ claim_ref('int_claim_validity_dme', 'dme') }}
)

, unioned as (
    select * from part_a
    union all
    select * from part_b
    union all
    select * from dme
)

select
      {{ key_of(['claim_family', 'version_key']) }} as scope_record_key
    , unioned.*
from unioned

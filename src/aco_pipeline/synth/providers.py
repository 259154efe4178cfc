"""A synthetic provider landscape: clinicians, facilities, suppliers and pharmacies.

Pool sizes grow slowly with the population (an ACO of 100,000 beneficiaries sees a few
thousand clinicians) and are independent of the claims drawn, so one seed gives one
landscape. Identifiers have real formats (identifiers.py) but are random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth import identifiers

STATE_SSA = "36"  # Ohio's SSA state code, first two characters of its CCNs
STATE_FIPS = "39"
CONTRACTOR_A = "15202"  # a Part A/B MAC jurisdiction number (CMS contractor numbers)
CONTRACTOR_B = "15202"
CONTRACTOR_DME = "17013"


@dataclass(frozen=True, slots=True)
class Facilities:
    ccn: np.ndarray  # S6
    npi: np.ndarray  # S10


@dataclass(frozen=True, slots=True)
class Providers:
    clinician_npi: np.ndarray  # S10, individual NPIs
    clinician_tin: np.ndarray  # S9, the billing group of each clinician
    aco_clinicians: int  # the first `aco_clinicians` belong to the ACO's participant TINs
    hospitals: Facilities
    cahs: Facilities
    snfs: Facilities
    hhas: Facilities
    hospices: Facilities
    dialysis: Facilities
    suppliers: np.ndarray  # DME supplier NPIs
    pharmacies: np.ndarray  # pharmacy NPIs


def _facilities(rng: np.random.Generator, n: int, kind: str) -> Facilities:
    return Facilities(ccn=identifiers.ccns(rng, n, kind, STATE_SSA),
                      npi=identifiers.npis(rng, n, first_digit=1))


def build_providers(rng: np.random.Generator, beneficiaries: int) -> Providers:
    n_clin = int(np.clip(beneficiaries // 40, 300, 6000))
    n_groups = max(n_clin // 12, 20)
    clin_npi = identifiers.npis(rng, n_clin, first_digit=1)
    group_tin = identifiers.tins(rng, n_groups)
    clin_tin = group_tin[rng.integers(0, n_groups, n_clin)]
    scale = max(beneficiaries / 20000, 1.0)
    return Providers(
        clinician_npi=clin_npi,
        clinician_tin=clin_tin,
        aco_clinicians=max(n_clin // 3, 1),
        hospitals=_facilities(rng, int(min(12 * scale, 150)), "hospital"),
        cahs=_facilities(rng, int(min(3 * scale, 40)), "cah"),
        snfs=_facilities(rng, int(min(25 * scale, 400)), "snf"),
        hhas=_facilities(rng, int(min(12 * scale, 200)), "hha"),
        hospices=_facilities(rng, int(min(6 * scale, 80)), "hospice"),
        dialysis=_facilities(rng, int(min(5 * scale, 60)), "dialysis"),
        suppliers=identifiers.npis(rng, int(min(15 * scale, 200)), first_digit=1),
        pharmacies=identifiers.npis(rng, int(min(30 * scale, 600)), first_digit=1),
    )

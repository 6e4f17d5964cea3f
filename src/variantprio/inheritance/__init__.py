"""Pedigrees and modes of inheritance: which of the proband's variants segregate in the family.

`segregate` is the stage (VARIANTS + ANNOTATIONS -> SEGREGATION); `read_ped`/`check_samples`
parse and check PED files for the other stages.
"""

from __future__ import annotations

from .modes import InheritanceOptions
from .pedigree import Family, Member, Pedigree, check_samples, proband_status_warnings, read_ped
from .segregate import segregate

__all__ = ["Family", "InheritanceOptions", "Member", "Pedigree", "check_samples", "proband_status_warnings",
           "read_ped", "segregate"]

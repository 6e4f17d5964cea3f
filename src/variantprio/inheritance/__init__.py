"""Pedigrees and modes of inheritance: which of the proband's variants segregate in the family.

`run(InheritanceInputs, InheritanceOutputs, InheritanceOptions)` is the stage (VARIANTS +
ANNOTATIONS -> SEGREGATION). PED files are parsed and
checked in `core.pedigree` (`read_ped`/`check_samples`, re-exported here).
"""

from __future__ import annotations

from ..core.pedigree import Family, Member, Pedigree, check_samples, proband_status_warnings, read_ped
from .modes import InheritanceOptions
from .segregate import InheritanceInputs, InheritanceOutputs, run

__all__ = ["Family", "InheritanceInputs", "InheritanceOptions", "InheritanceOutputs", "Member", "Pedigree",
           "check_samples", "proband_status_warnings", "read_ped", "run"]

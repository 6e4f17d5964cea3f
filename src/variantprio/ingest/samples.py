"""Choose the samples to ingest and check them against the VCF header and the PED, all at once.

Sample IDs often differ between files in case or suffix ("NA12878" vs "na12878_1"): every mismatch
is reported in one error together with the closest IDs on the other side.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import InputError
from ..inheritance.pedigree import close_matches, read_ped

log = logging.getLogger(__name__)


def ped_individuals(path: str | Path) -> list[tuple[str, str]]:
    """(family, individual) of each PED line, parsed and checked by `inheritance.pedigree`."""
    pedigree = read_ped(path)
    return [(m.family_id, m.id) for family in pedigree.families.values() for m in family if m.line is not None]


def choose_samples(vcf_samples: list[str], requested: list[str] | None,
                   ped_members: list[tuple[str, str]] | None, vcf_path: str, ped_path: str | None) -> list[str]:
    """Samples to read, in VCF column order; InputError listing every mismatch at once.

    Without `requested`, a PED restricts the VCF to the individuals it lists. PED members of the
    chosen families that have no VCF column are fine (ungenotyped relatives) unless an otherwise
    unused VCF sample looks like a misspelling of them; a PED may hold other families too.
    """
    problems: list[str] = []
    ped_ids = [i for _, i in ped_members] if ped_members is not None else None
    if requested:
        for name in requested:
            if name not in vcf_samples:
                problems.append(_missing(name, "the VCF", vcf_samples))
            if ped_ids is not None and name not in ped_ids:
                problems.append(_missing(name, "the PED", ped_ids))
        chosen = [s for s in vcf_samples if s in set(requested)]
    elif ped_ids is not None:
        chosen = [s for s in vcf_samples if s in set(ped_ids)]
    else:
        chosen = list(vcf_samples)
    if ped_members is not None:
        problems += _ped_members_without_column(ped_members, chosen, vcf_samples)
        if not chosen and not problems:
            problems.append(f"no PED individual ({', '.join(ped_ids[:5])}) is a sample of the VCF "
                            f"({', '.join(vcf_samples[:5])})")
    if problems:
        source = vcf_path + (f" / {ped_path}" if ped_path else "")
        raise InputError("sample IDs do not match: " + "; ".join(problems), path=source,
                         hint="fix the IDs in the sample sheet/PED (or --samples) to match the VCF header")
    return chosen


def _ped_members_without_column(ped_members: list[tuple[str, str]], chosen: list[str],
                                vcf_samples: list[str]) -> list[str]:
    ped_ids = {i for _, i in ped_members}
    families = {f for f, i in ped_members if i in set(chosen)}
    unused_vcf = [s for s in vcf_samples if s not in ped_ids]
    problems = []
    for family, name in ped_members:
        if name in vcf_samples or (families and family not in families):
            continue
        hints = close_matches(name, unused_vcf)
        if hints:
            problems.append(f"{name} not in the VCF (did you mean {' or '.join(hints)}?)")
        else:
            log.info("PED individual %s has no VCF column (ungenotyped)", name)
    return problems


def _missing(name: str, where: str, candidates: list[str]) -> str:
    hints = close_matches(name, candidates)
    suggestion = f" (did you mean {' or '.join(hints)}?)" if hints else ""
    return f"{name} not in {where}{suggestion}"

"""Choose the samples to ingest and check them against the VCF header and the PED, all at once.

Sample IDs often differ between files in case or suffix ("NA12878" vs "na12878_1"): every mismatch
is reported in one error together with the closest IDs on the other side.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import InputError
from ..inheritance.pedigree import close_matches, missing_message, read_ped

log = logging.getLogger(__name__)


def ped_individuals(path: str | Path) -> list[tuple[str, str]]:
    """(family, individual) of every PED member, parsed and checked by `inheritance.pedigree`;
    parents named only in a child's line count: their VCF columns are the trio's parents."""
    return read_ped(path).individuals


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
            # Other requested samples and (for a PED member) other PED members are other people.
            others = set(requested) - {name}
            if name not in vcf_samples:
                taken = others | (set(ped_ids) if ped_ids is not None and name in ped_ids else set())
                problems.append(missing_message(name, "the VCF", vcf_samples, taken=taken))
            if ped_ids is not None and name not in ped_ids:
                problems.append(missing_message(name, "the PED", ped_ids, taken=others))
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
        # Refusing a PED needs the same ID spelt otherwise, not a one-edit neighbour (often the next sample).
        hints = close_matches(name, unused_vcf, typos=False)
        if hints:
            problems.append(f"{name} not in the VCF (did you mean {' or '.join(hints)}?)")
        else:
            log.info("PED individual %s not genotyped (no VCF column)", name)
    return problems

"""Sample IDs across files: which IDs plausibly name the same person, and the samples to ingest
checked against the VCF header and the PED, all at once.

Sample IDs often differ between files in case or suffix ("NA12878" vs "na12878_1"): every mismatch
is reported in one error together with the closest IDs on the other side.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection

from ..errors import InputError

log = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[\s_.\-/:|]+")
_MAX_AFFIX = 4  # characters a lab/sequencer prefix or suffix adds ("_1", "-S12", "dup")


def id_key(sample_id: str) -> str:
    """An ID ignoring case and separators: "P_1", "p-1" and "P1" name the same person."""
    return _SEPARATORS.sub("", sample_id).casefold()


def _same_id_with_affix(a: str, b: str) -> bool:
    """One ID is the other plus a short prefix/suffix set off by a separator ("NA12878_1", "LAB-NA12878")."""
    short, long_ = sorted((a.casefold(), b.casefold()), key=len)
    if len(id_key(short)) < 3 or len(short) == len(long_):
        return False
    if long_.startswith(short):
        extra, boundary = long_[len(short):], long_[len(short)]
    elif long_.endswith(short):
        extra, boundary = long_[:-len(short)], long_[-len(short) - 1]
    else:
        return False
    return bool(_SEPARATORS.fullmatch(boundary)) and 0 < len(id_key(extra)) <= _MAX_AFFIX


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _typo_budget(sample_id: str) -> int:
    """Edits a typo may plausibly make: none below 6 characters (separators aside), else one."""
    return 0 if len(id_key(sample_id)) < 6 else 1


def close_matches(name: str, candidates: list[str], *, taken: Collection[str] = (),
                  typos: bool = True) -> list[str]:
    """Up to three candidates that plausibly are `name` misspelt, most plausible first.

    `taken` are IDs already accounted for (PED members, other probands): a distinct person is
    never suggested, however similar ("ISDBM322017" for "ISDBM322016" in one quartet). Plausible:
    the same ID ignoring case and separators ("P1", "p1", "P_1"); the ID plus a short prefix or
    suffix set off by a separator ("NA12878_1"); and, with `typos`, one edit (incl. a swap of
    neighbours) in IDs of 6 or more characters. Shorter IDs get no edit: one edit rewrites a third
    or more of "sib1" or "P2", which usually number distinct people in a series. Never two: long
    IDs are mostly a constant cohort prefix, so two edits in the varying digits name another sample.
    """
    taken = set(taken)
    pool = [c for c in dict.fromkeys(candidates) if c != name and c not in taken]
    key = id_key(name)
    tier0 = [c for c in pool if id_key(c) == key]
    tier1 = [c for c in pool if c not in tier0 and _same_id_with_affix(name, c)]
    found = tier0 + tier1
    if typos and not found and _typo_budget(name):
        # Typos only when no spelling of the same ID exists: one edit away is often the next sample.
        found = [c for c in pool if _typo_budget(c) and edit_distance(key, id_key(c)) == 1]
    return found[:3]


def missing_message(name: str, where: str, candidates: list[str], *, taken: Collection[str] = ()) -> str:
    """"X not in Y", with plausible intended IDs among `candidates` not already `taken`."""
    hints = close_matches(name, candidates, taken=taken)
    suggestion = f" (did you mean {' or '.join(hints)}?)" if hints else ""
    return f"{name} not in {where}{suggestion}"


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

"""PED (PLINK/LINKAGE pedigree) files: families, parents, sex and affection status.

Six whitespace-separated columns: family, individual, father, mother, sex, phenotype. "0" is a
missing parent; sex 1 = male, 2 = female, anything of 0/-9 unknown; phenotype 1 = unaffected,
2 = affected, 0/-9 unknown. Parents named but without a line of their own are founders of
unknown phenotype (common for grandparents). Any member may lack a VCF column (ungenotyped): their
sex, affected status and parent links still count, their genotypes are unknown, never hom-ref.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .samples import close_matches, missing_message

log = logging.getLogger(__name__)

MALE, FEMALE, UNKNOWN_SEX = 1, 2, 0

_SEX = {"1": MALE, "2": FEMALE, "0": UNKNOWN_SEX, "-9": UNKNOWN_SEX, "m": MALE, "male": MALE,
        "f": FEMALE, "female": FEMALE, "u": UNKNOWN_SEX, "unknown": UNKNOWN_SEX, "other": UNKNOWN_SEX}
_PHENOTYPE = {"2": True, "1": False, "0": None, "-9": None, "affected": True, "unaffected": False,
              "unknown": None}
_HEADER_NAMES = {"fid", "family", "family_id", "familyid", "famid", "pedigree"}
_COLUMNS_HINT = "family, individual, father, mother, sex (1/2/0), phenotype (2 affected, 1 unaffected, 0/-9)"


@dataclass(frozen=True)
class Member:
    """One individual of a family; `line` is None for parents named only in a child's line."""

    family_id: str
    id: str
    father: str | None
    mother: str | None
    sex: int
    affected: bool | None
    line: int | None = None

    @property
    def is_male(self) -> bool:
        return self.sex == MALE

    @property
    def is_female(self) -> bool:
        return self.sex == FEMALE


@dataclass
class Family:
    """The members of one family, in file order."""

    family_id: str
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return list(self.members)

    def __getitem__(self, sample_id: str) -> Member:
        return self.members[sample_id]

    def __contains__(self, sample_id: object) -> bool:
        return sample_id in self.members

    def __iter__(self):
        return iter(self.members.values())

    def __len__(self) -> int:
        return len(self.members)

    def children_of(self, sample_id: str) -> list[Member]:
        return [m for m in self.members.values() if sample_id in (m.father, m.mother)]

    def affected(self) -> list[Member]:
        return [m for m in self.members.values() if m.affected is True]

    def unaffected(self) -> list[Member]:
        return [m for m in self.members.values() if m.affected is False]


def singleton(proband: str, sex: int = UNKNOWN_SEX) -> Family:
    """The family assumed without a PED: the affected proband alone."""
    return Family(proband, {proband: Member(proband, proband, None, None, sex, True)})


@dataclass
class Pedigree:
    """All families of one PED file; individual IDs are unique across the file."""

    families: dict[str, Family]
    path: str | None = None

    @property
    def individuals(self) -> list[tuple[str, str]]:
        """(family, individual) of every member, parents without a line included."""
        return [(f.family_id, m.id) for f in self.families.values() for m in f]

    def member(self, sample_id: str) -> Member:
        return self.family_of(sample_id)[sample_id]

    def family_of(self, sample_id: str) -> Family:
        """The family of an individual; InputError naming the closest IDs when it is not in the PED."""
        for family in self.families.values():
            if sample_id in family:
                return family
        raise InputError(missing_message(sample_id, "the PED", [i for _, i in self.individuals]),
                         path=self.path, hint="use the individual ID (column 2) as in the PED and the VCF")


def read_ped(path: str | Path) -> Pedigree:
    """Parse and check a PED file; InputError with file and line for the first structural problem."""
    p = Path(path)
    if not p.is_file():
        raise InputError("PED file not found", path=str(p), hint="check --ped")
    rows = _ped_rows(p)
    if not rows:
        raise InputError("PED file has no individuals", path=str(p), hint=_COLUMNS_HINT)
    families = _families(rows, str(p))
    pedigree = Pedigree(families, str(p))
    for family in families.values():
        _check_parents(family, str(p))
        _check_cycles(family, str(p))
    return pedigree


def _ped_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, 6 fields) of each data line; the optional header and '#' comments skipped."""
    rows: list[tuple[int, list[str]]] = []
    extra_columns_named = False
    for line_no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        named_header = fields[0].lower().lstrip("#") in _HEADER_NAMES
        if line.startswith("#") or (not rows and named_header):
            # A named header may declare extra columns (e.g. peddy's); their values are ignored.
            extra_columns_named |= not rows and named_header and len(fields) > 6
            continue
        if len(fields) < 6 or (len(fields) > 6 and not extra_columns_named):
            raise InputError(f"PED line has {len(fields)} columns, expected 6", path=str(path),
                             where=f"line {line_no}", hint=_COLUMNS_HINT + ", separated by tabs or spaces")
        rows.append((line_no, fields[:6]))
    return rows


def _families(rows: list[tuple[int, list[str]]], path: str) -> dict[str, Family]:
    families: dict[str, Family] = {}
    where_defined: dict[str, tuple[str, int]] = {}
    for line_no, (fid, iid, father, mother, sex, phenotype) in rows:
        if iid in ("0", "-9"):
            raise InputError(f"individual ID {iid!r} is reserved for 'missing'", path=path,
                             where=f"line {line_no}", hint="give every individual a real ID")
        if iid in where_defined:
            other_family, other_line = where_defined[iid]
            raise InputError(f"duplicate individual ID {iid} (also on line {other_line}, family {other_family})",
                             path=path, where=f"line {line_no}", hint="individual IDs must be unique in the file")
        where_defined[iid] = (fid, line_no)
        member = Member(fid, iid, _parent(father), _parent(mother), _code(sex, _SEX, "sex", path, line_no),
                        _code(phenotype, _PHENOTYPE, "phenotype", path, line_no), line_no)
        families.setdefault(fid, Family(fid)).members[iid] = member
    for family in families.values():
        _add_implicit_parents(family, where_defined, path)
    return families


def _parent(value: str) -> str | None:
    return None if value in ("0", "-9", ".") else value


def _code(value: str, table: dict, what: str, path: str, line_no: int):
    try:
        return table[value.lower()]
    except KeyError:
        allowed = "1, 2, 0 or -9"
        raise InputError(f"{what} {value!r} not understood", path=path, where=f"line {line_no}",
                         hint=f"{what} must be {allowed}"
                              + (" (quantitative phenotypes are not supported)" if what == "phenotype" else "")
                         ) from None


def _add_implicit_parents(family: Family, where_defined: dict[str, tuple[str, int]], path: str) -> None:
    """Parents without a line become ungenotyped founders; a parent from another family is an error."""
    for member in list(family):
        for parent, sex in ((member.father, MALE), (member.mother, FEMALE)):
            if parent is None or parent in family:
                continue
            if parent in where_defined:
                other_family, other_line = where_defined[parent]
                raise InputError(f"parent {parent} of {member.id} is in family {other_family} "
                                 f"(line {other_line}), not {family.family_id}", path=path,
                                 where=f"line {member.line}", hint="parents and children share a family ID")
            family.members[parent] = Member(family.family_id, parent, None, None, sex, None, None)


def _check_parents(family: Family, path: str) -> None:
    for member in family:
        if member.father is not None and member.father == member.mother:
            raise InputError(f"{member.id} has {member.father} as both father and mother", path=path,
                             where=f"line {member.line}", hint="column 3 is the father, column 4 the mother")
        for parent, role, wrong, wrong_name in ((member.father, "father", FEMALE, "female"),
                                                (member.mother, "mother", MALE, "male")):
            if parent is not None and family[parent].sex == wrong:
                line = family[parent].line
                raise InputError(f"{parent} is the {role} of {member.id} but is {wrong_name} "
                                 f"(line {line})", path=path, where=f"line {member.line}",
                                 hint="column 3 is the father, column 4 the mother; check column 5 (sex)")


def _check_cycles(family: Family, path: str) -> None:
    """Nobody may be their own ancestor (a typo in a parent column often makes such a loop)."""
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(sample: str, trail: list[str]) -> None:
        if state.get(sample) == 2:
            return
        if state.get(sample) == 1:
            loop = trail[trail.index(sample):] + [sample]
            raise InputError(f"pedigree cycle: {' -> '.join(loop)} (each is a parent of the previous)",
                             path=path, where=f"line {family[sample].line}",
                             hint="check the father/mother columns of these individuals")
        state[sample] = 1
        member = family[sample]
        for parent in (member.father, member.mother):
            if parent is not None:
                visit(parent, trail + [sample])
        state[sample] = 2

    for sample in family.ids:
        visit(sample, [])


def ped_individuals(path: str | Path) -> list[tuple[str, str]]:
    """(family, individual) of every PED member, parsed and checked by `read_ped`;
    parents named only in a child's line count: their VCF columns are the trio's parents."""
    return read_ped(path).individuals


def ungenotyped(family: Family, vcf_samples: Collection[str]) -> list[str]:
    """Members without a VCF column: their genotypes are unknown, their sex, status and links count."""
    return [m.id for m in family if m.id not in vcf_samples]


def check_samples(pedigree: Pedigree, vcf_samples: list[str], probands: list[str], *,
                  allow_ungenotyped: bool = True) -> None:
    """One InputError listing every proband missing from the PED or the VCF, every family with no
    member in the VCF, and every member whose ID looks misspelt, each with plausible IDs only.

    Relatives without a VCF column are ungenotyped (logged, not an error) unless an otherwise
    unused VCF sample is the same ID up to case, separators or a short affix; a mere typo-distance
    is not enough to refuse a PED. `allow_ungenotyped=False` requires a column for every member
    with a PED line.
    """
    problems: list[str] = []
    ped_ids = [i for _, i in pedigree.individuals]
    in_vcf = set(vcf_samples)
    families: list[Family] = []
    for proband in probands:
        others = set(probands) - {proband}
        if proband not in ped_ids:
            # Both in the VCF: two columns, two people.
            problems.append(missing_message(proband, "the PED", ped_ids,
                                            taken=others | (in_vcf if proband in in_vcf else set())))
        elif pedigree.family_of(proband) not in families:
            families.append(pedigree.family_of(proband))
        if proband not in in_vcf:
            # Two PED members are two people, however alike their IDs look.
            problems.append(missing_message(proband, "the VCF", vcf_samples,
                                            taken=others | (set(ped_ids) if proband in ped_ids else set())))
    unused_vcf = [s for s in vcf_samples if s not in set(ped_ids) | set(probands)]
    for family in families:
        absent = ungenotyped(family, in_vcf)
        if len(absent) == len(family):
            problems.append(f"no member of family {family.family_id} ({_listed(family.ids)}) is a sample of the "
                            f"VCF ({_listed(vcf_samples)})")
            continue
        for member_id in absent:
            if member_id in probands:
                continue
            hints = close_matches(member_id, unused_vcf, typos=False)
            if hints or (not allow_ungenotyped and family[member_id].line is not None):
                problems.append(missing_message(member_id, "the VCF", unused_vcf))
        if absent and not problems:
            log.info("family %s: %s not genotyped (no VCF column); their sex, affected status and parent "
                     "links are used, their genotypes are unknown", family.family_id, ", ".join(absent))
    if problems:
        raise InputError("sample IDs do not match: " + "; ".join(dict.fromkeys(problems)),
                         path=pedigree.path,
                         hint="make the PED individual IDs match the VCF header (case and suffixes count)")


def _listed(ids: list[str], n: int = 5) -> str:
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def proband_status_warnings(pedigree: Pedigree, proband: str) -> list[str]:
    """Warnings when the PED does not code the proband affected; the proband is analysed as
    affected anyway, so a swapped phenotype column changes every mode test of the relatives."""
    family = next((f for f in pedigree.families.values() if proband in f), None)
    if family is None:
        return []
    member = family[proband]
    where = f"{pedigree.path or 'the PED'}" + (f" line {member.line}" if member.line is not None else "")
    if member.affected is True:
        return []
    if member.affected is False:
        coded = "is coded unaffected (phenotype 1)"
    else:
        coded = "has no PED line" if member.line is None else "has unknown affected status (phenotype 0/-9)"
    return [f"proband {proband} {coded} in {where}; analysed as affected (column 6: 2 = affected)"]

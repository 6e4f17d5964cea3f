"""PED (PLINK/LINKAGE pedigree) files: families, parents, sex and affection status.

Six whitespace-separated columns: family, individual, father, mother, sex, phenotype. "0" is a
missing parent; sex 1 = male, 2 = female, anything of 0/-9 unknown; phenotype 1 = unaffected,
2 = affected, 0/-9 unknown. Parents named but without a line of their own are ungenotyped
founders of unknown phenotype (common for grandparents).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

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


def close_matches(name: str, candidates: list[str]) -> list[str]:
    """Likely intended IDs: same ID ignoring case, containing/contained, or difflib-similar."""
    lowered = name.lower()
    exact_case = [c for c in candidates if c.lower() == lowered and c != name]
    nested = [c for c in candidates
              if c not in exact_case and c != name and (lowered in c.lower() or c.lower() in lowered)]
    if exact_case or nested:
        return (exact_case + nested)[:3]
    return difflib.get_close_matches(name, [c for c in candidates if c != name], n=3, cutoff=0.6)


def missing_message(name: str, where: str, candidates: list[str]) -> str:
    hints = close_matches(name, candidates)
    suggestion = f" (did you mean {' or '.join(hints)}?)" if hints else ""
    return f"{name} not in {where}{suggestion}"


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


def check_samples(pedigree: Pedigree, vcf_samples: list[str], probands: list[str], *,
                  allow_ungenotyped: bool = False) -> None:
    """One InputError listing every proband missing from the PED or the VCF and every member of
    the probands' families (with a line of their own) without a VCF column, each with the closest
    IDs on the other side.

    With `allow_ungenotyped`, family members without a column are fine (ungenotyped relatives)
    unless an otherwise unused VCF sample looks like a misspelling of them.
    """
    problems: list[str] = []
    ped_ids = [i for _, i in pedigree.individuals]
    families: list[Family] = []
    for proband in probands:
        if proband not in ped_ids:
            problems.append(missing_message(proband, "the PED", ped_ids))
        else:
            family = pedigree.family_of(proband)
            if family not in families:
                families.append(family)
        if proband not in vcf_samples:
            problems.append(missing_message(proband, "the VCF", vcf_samples))
    unused_vcf = [s for s in vcf_samples if s not in set(ped_ids)]
    for family in families:
        for member in family:
            # Parents named only in a child's line are ungenotyped founders by construction.
            if member.id in vcf_samples or member.id in probands or member.line is None:
                continue
            hints = close_matches(member.id, unused_vcf if allow_ungenotyped else vcf_samples)
            if hints or not allow_ungenotyped:
                problems.append(missing_message(member.id, "the VCF", unused_vcf if allow_ungenotyped
                                                else vcf_samples))
    if problems:
        raise InputError("sample IDs do not match: " + "; ".join(dict.fromkeys(problems)),
                         path=pedigree.path,
                         hint="make the PED individual IDs match the VCF header (case and suffixes count)")

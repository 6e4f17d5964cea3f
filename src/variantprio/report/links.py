"""Outbound links of the report, each built only from an ID that matches its expected pattern;
anything else gets no link (the text is still shown, escaped by the template)."""

from __future__ import annotations

import numbers
import re
from urllib.parse import quote

_OMIM = re.compile(r"^(?:OMIM|MIM):(\d{6})$")
_ORPHA = re.compile(r"^(?:ORPHA|Orphanet):(\d{1,7})$")
_HPO = re.compile(r"^HP:\d{7}$")
_RSID = re.compile(r"^rs\d{1,12}$")
_CHROM = re.compile(r"^(?:chr)?([1-9]|1\d|2[0-2]|X|Y|M|MT)$")
_BASES = re.compile(r"^[ACGTN]{1,1000}$")
# UCSC and gnomAD name the builds differently.
_UCSC_DB = {"GRCh38": "hg38", "GRCh37": "hg19"}
_GNOMAD_DATASET = {"GRCh38": "gnomad_r4", "GRCh37": "gnomad_r2_1"}
_CLINVAR_POS = {"GRCh38": "chrpos38", "GRCh37": "chrpos37"}


def disease_url(disease_id: str | None) -> str | None:
    """OMIM entry or Orphanet disease page of an 'OMIM:123456' / 'ORPHA:558' ID."""
    text = (disease_id or "").strip()
    if match := _OMIM.match(text):
        return f"https://omim.org/entry/{match.group(1)}"
    if match := _ORPHA.match(text):
        return f"https://www.orpha.net/en/disease/detail/{match.group(1)}"
    return None


def hpo_url(term: str | None) -> str | None:
    return f"https://hpo.jax.org/browse/term/{term}" if term and _HPO.match(term) else None


def dbsnp_url(rsid: str | None) -> str | None:
    return f"https://www.ncbi.nlm.nih.gov/snp/{rsid}" if rsid and _RSID.match(rsid) else None


def rsids(vcf_id: str | None) -> list[str]:
    """The rsIDs of a VCF ID column value (';'-separated; other IDs dropped)."""
    return [part for part in (vcf_id or "").split(";") if _RSID.match(part)]


def _chrom(chrom: str | None) -> str | None:
    match = _CHROM.match(chrom or "")
    return None if match is None else match.group(1).replace("MT", "M")


def variant_links(chrom: str, pos: int, ref: str, alt: str, build: str | None, vcf_id: str | None = None
                  ) -> dict[str, str]:
    """name -> URL for one variant: ClinVar, gnomAD (small nuclear variants), dbSNP (rsIDs), UCSC.
    Position-based links need a known build and a standard contig."""
    ids = rsids(vcf_id)
    links: dict[str, str] = {}
    if ids:
        links["ClinVar"] = f"https://www.ncbi.nlm.nih.gov/clinvar/?term={quote(ids[0])}"
    bare = _chrom(chrom)
    located = bare is not None and build in _UCSC_DB and isinstance(pos, numbers.Integral) and pos >= 1
    if located and not ids:
        links["ClinVar"] = (f"https://www.ncbi.nlm.nih.gov/clinvar/?term={bare}%5Bchr%5D+AND+"
                            f"{int(pos)}%5B{_CLINVAR_POS[build]}%5D")
    if located and _BASES.match(ref or "") and _BASES.match(alt or "") and bare != "M":
        links["gnomAD"] = (f"https://gnomad.broadinstitute.org/variant/{bare}-{int(pos)}-{ref}-{alt}"
                           f"?dataset={_GNOMAD_DATASET[build]}")
    if ids:
        links["dbSNP"] = f"https://www.ncbi.nlm.nih.gov/snp/{ids[0]}"
    if located:
        start, end = max(1, int(pos) - 25), int(pos) + len(ref or "") + 25
        links["UCSC"] = (f"https://genome.ucsc.edu/cgi-bin/hgTracks?db={_UCSC_DB[build]}"
                         f"&position=chr{bare}%3A{start}-{end}")
    return links

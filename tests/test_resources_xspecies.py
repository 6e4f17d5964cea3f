"""`variantprio resources fetch xspecies` against miniature MGI, MP, uPheno and STRING files served by
a real loopback HTTP server: the derived folder is what the mouse and network components read, a cut
transfer resumes, a re-run downloads nothing, an HTML page is never installed."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from conftest import run_cli, serving

from test_xspecies import MP_OBO
from variantprio.phenotype.mouse import load_mouse
from variantprio.phenotype.network import load_walks
from variantprio.resources.xspecies import STRING_PRIOR, upstream_files, without_text_mining

# Allelic composition, allele symbol, allele id, background, MP id, PubMed, marker, genotype.
GENO_PHENO = ("Scn1a<tm1>/Scn1a<+>\tScn1a<tm1>\tMGI:1\tinvolves: 129\tMP:0002064\t1234\tMGI:98246\tMGI:5001\n"
              "Scn1a<tm2>/Scn1a<tm2>\tScn1a<tm2>\tMGI:2\tB6\tMP:0000433\t1235\tMGI:98246\tMGI:5002\n"
              "Pten<tm1>/Pten<+>\tPten<tm1>\tMGI:3\tB6\tMP:0000433\t99\tMGI:109583\tMGI:5003\n"
              "Orph<tm1>/Orph<+>\tOrph<tm1>\tMGI:4\tB6\tMP:0000433\t98\tMGI:424242\tMGI:5004\n")  # no human ortholog
ORTHOLOGS = ("SCN1A\t6323\tScn1a\tMGI:98246\tMP:0005386\t\n"
             "PTEN\t5728\tPten\tMGI:109583\t\t\n"
             "ABC1\t1\tAbc1\tMGI:1\t\t\n")
BESTMATCHES = ("HP:0001250\tSeizure\tMP:0002064\tseizures\t0.9\t1\n"
               "HP:0000256\tMacrocephaly\tMP:0000433\tmacrocephaly\t0.8\t1\n")
SSSOM = ("# curie_map:\n#   UPHENO: http://purl.obolibrary.org/obo/UPHENO_\n"
         "subject_id\tpredicate_id\tobject_id\tmapping_justification\n"
         "UPHENO:0000001\tsemapv:crossSpeciesExactMatch\tHP:0007359\tsemapv:LogicalMatching\n"
         "UPHENO:0000001\tsemapv:crossSpeciesExactMatch\tMP:0002064\tsemapv:LogicalMatching\n"
         "UPHENO:0000001\tsemapv:crossSpeciesExactMatch\tZP:0000001\tsemapv:LogicalMatching\n")
CHANNELS = "neighborhood fusion cooccurence coexpression experimental database textmining combined_score"
# A-B strong on experiments; A-C only from text mining (dropped). D-H is neither among D's three
# best medium links (E, F, G) nor among H's (I, J, K): dropped.
STRING_ROWS = [("A", "B", [0, 0, 0, 0, 950, 0, 0]), ("B", "A", [0, 0, 0, 0, 950, 0, 0]),
               ("A", "C", [0, 0, 0, 0, 0, 0, 990]),
               ("D", "E", [0, 0, 0, 0, 0, 600, 0]), ("D", "F", [0, 0, 0, 0, 0, 550, 0]),
               ("D", "G", [0, 0, 0, 0, 0, 500, 0]), ("D", "H", [0, 0, 0, 0, 0, 450, 0]),
               ("H", "I", [0, 0, 0, 0, 0, 650, 0]), ("H", "J", [0, 0, 0, 0, 0, 640, 0]),
               ("H", "K", [0, 0, 0, 0, 0, 630, 0])]


def _links() -> bytes:
    lines = [f"protein1 protein2 {CHANNELS}"]
    for a, b, scores in STRING_ROWS:
        lines.append(" ".join([f"9606.ENSP{a}", f"9606.ENSP{b}", *map(str, scores), "999"]))
    return gzip.compress(("\n".join(lines) + "\n").encode())


def _info() -> bytes:
    rows = "".join(f"9606.ENSP{g}\tGENE{g}\t100\tprotein {g}\n" for g in "ABCDEFGHIJK")
    return gzip.compress(("#string_protein_id\tpreferred_name\tprotein_size\tannotation\n" + rows).encode())


def upstream() -> dict[str, bytes]:
    """URL path on the mirror -> bytes, one per upstream file; STRING's links are long enough to cut."""
    content = {"MGI_GenePheno.rpt": GENO_PHENO.encode(), "HMD_HumanPhenotype.rpt": ORTHOLOGS.encode(),
               "mp.obo": MP_OBO.encode(), "hp-to-mp-bestmatches.tsv": BESTMATCHES.encode(),
               "upheno-species-independent.sssom.tsv": SSSOM.encode()}
    for spec in upstream_files():
        if spec.name.startswith("9606.protein.links"):
            content[spec.name] = _links()
        elif spec.name.startswith("9606.protein.info"):
            content[spec.name] = _info()
    assert sorted(content) == sorted(spec.name for spec in upstream_files())
    return {f"/mirror/{name}": data for name, data in content.items()}


@pytest.fixture()
def mirror():
    with serving(upstream()) as srv:
        yield srv


def _fetch(srv, out, check=True):
    return run_cli("resources", "fetch", "xspecies", "--out", str(out), "--mirror", f"{srv.base}/mirror",
                   "--timeout", "10", check=check)


def test_fetch_derives_the_folder_the_components_read(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "xspecies"
    result = _fetch(mirror, out)
    assert "MGI_GenePheno.rpt: downloaded" in result.stdout
    assert "mouse/mgi_human_gene_to_mouse_MP.tsv: 2 rows" in result.stdout  # SCN1A, PTEN (Orph has no human)
    record = json.loads((out / "xspecies.json").read_text())
    assert set(record["files"]) == {spec.name for spec in upstream_files()}
    assert all(len(entry["sha256"]) == 64 and entry["url"].startswith(mirror.base) for entry in record["files"].values())

    mouse = load_mouse(out)
    assert mouse.gene_symbols == ["PTEN", "SCN1A"]
    assert mouse.versions["MP"] == "2099-02-03"
    assert mouse.versions["mouse phenotypes"].startswith("MGI reports downloaded 20")
    scn1a = mouse.profile.tocsr()[mouse.gene_index["SCN1A"]].indices
    assert {mouse.mp.ids[i] for i in scn1a} == {"MP:0000001", "MP:0003631", "MP:0002064", "MP:0005382",
                                               "MP:0000433"}  # with their ancestors
    # Best match, and the pair sharing a species-independent class; the zebrafish term is left out.
    assert {hp: [mouse.mp.ids[i] for i in terms] for hp, terms in mouse.hp_mapped.items()} == {
        "HP:0001250": ["MP:0002064"], "HP:0000256": ["MP:0000433"], "HP:0007359": ["MP:0002064"]}

    walks = load_walks(out)
    assert walks.version == "STRING v12"
    links = (out / "ppi" / "string_v12_notextmining.tsv.gz")
    pairs = {tuple(line.split("\t")[:2]) for line in gzip.decompress(links.read_bytes()).decode().splitlines()[1:]}
    assert pairs == {("GENEA", "GENEB"), ("GENED", "GENEE"), ("GENED", "GENEF"), ("GENED", "GENEG"),
                     ("GENEH", "GENEI"), ("GENEH", "GENEJ"), ("GENEH", "GENEK")}


def test_rerun_downloads_nothing_and_a_cut_transfer_resumes(mirror, tmp_path):
    out = tmp_path / "xspecies"
    links = next(path for path in mirror.files if "protein.links" in path)
    mirror.cut.add(links)
    first = _fetch(mirror, out, check=False)
    assert first.returncode == 2 and "re-run to resume" in first.stderr and "Traceback" not in first.stderr
    name = links.rsplit("/", 1)[1]
    assert not (out / "downloads" / name).exists() and (out / "downloads" / f"{name}.part").exists()
    assert not (out / "ppi").exists()  # nothing derived from a partial download
    second = _fetch(mirror, out)
    assert f"{name}: resumed" in second.stdout
    assert mirror.requested(name)[-1][1].startswith("bytes=")
    requests = len(mirror.requests)
    third = _fetch(mirror, out)
    assert len(mirror.requests) == requests and third.stdout.count(": skipped") == len(upstream_files())


def test_an_html_page_is_never_installed(mirror, tmp_path):
    mirror.html.add("/mirror/mp.obo")
    result = _fetch(mirror, tmp_path / "x", check=False)
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if "error" in line.lower()][0].count("mp.obo") >= 1
    assert not (tmp_path / "x" / "downloads" / "mp.obo").exists()


def test_combined_score_without_text_mining_follows_strings_formula():
    single = without_text_mining(np.array([[0, 0, 0, 0, 900, 0]]))[0]
    assert single == 900  # one channel: its own score
    two = without_text_mining(np.array([[0, 0, 0, 500, 500, 0]]))[0]
    p = (0.5 - STRING_PRIOR) / (1 - STRING_PRIOR)
    combined = 1 - (1 - p) ** 2
    assert two == round(1000 * (combined + STRING_PRIOR * (1 - combined)))
    assert without_text_mining(np.array([[0, 0, 0, 0, 0, 0]]))[0] == round(1000 * STRING_PRIOR)

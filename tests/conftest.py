"""Fixtures shared by the test modules: the CLI as a user runs it, the generated demo inputs, the one
VCF writer, the miniature HPO release and the one lookup of the read-only `../shared` data."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pysam
import pytest

from variantprio.demo import DemoData, write_demo_data
from variantprio.core.genome import CONTIG_LENGTHS

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
MINI_HPO = DATA / "phenotype_hpo"


def cli_env() -> dict[str, str]:
    """The environment of a user shell: this interpreter's `variantprio` first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_cli(*args: str, cwd: Path | None = None, check: bool = True, timeout: float = 600
            ) -> subprocess.CompletedProcess:
    """`variantprio ARGS` in a subprocess; with `check`, a non-zero exit fails the test with its output."""
    result = subprocess.run([sys.executable, "-m", "variantprio", *args], capture_output=True, text=True,
                            cwd=cwd, env=cli_env(), timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"variantprio {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory) -> DemoData:
    """The demo's two trios, gene model and PED, generated once per session (read-only for tests)."""
    return write_demo_data(tmp_path_factory.mktemp("demo-inputs"))


FAM1_CHILD = "FAM1-child"
FAM1_TERMS = "HP:0002069,HP:0002123,HP:0001263"


def fam1_run_args(demo: DemoData, out: Path, terms: str = FAM1_TERMS) -> list[str]:
    """`variantprio run` of the demo's FAM1 trio (VCF, PED, gene model) into `out`, on two cores (the
    phenotype job runs beside ingest and annotate: each real run of the suite is seconds shorter)."""
    return ["run", "--vcf", str(demo.vcfs["FAM1"]), "--ped", str(demo.ped), "--sample", FAM1_CHILD,
            "--hpo", terms, "--gene-model", str(demo.gene_model), "--out", str(out), "--cores", "2"]


@pytest.fixture(scope="session")
def fam1_run(demo_inputs, tmp_path_factory) -> Path:
    """The output directory of one real, undisturbed `fam1_run_args` run, shared by the tests that need
    a reference result or an earlier run's results (read-only: copy it before running into it)."""
    out = tmp_path_factory.mktemp("fam1-run")
    run_cli(*fam1_run_args(demo_inputs, out))
    return out


# --- the README's commands, run once as a new user runs them -----------------------------------------

README = REPO / "README.md"


def readme_bash_blocks(section: str) -> list[str]:
    """The ```bash blocks of one `## section` of the README, stripped."""
    text = README.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


@dataclass
class ReadmeRun:
    """A fresh copy of the repository, a fresh virtualenv, and what each README command did there."""

    copy: Path
    venv: Path
    env: dict[str, str]
    commands: list[str]
    results: list[subprocess.CompletedProcess]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items) -> None:
    """Under pytest-xdist (`.ci/run`, `--dist loadgroup`) each test file runs on one worker, so its
    module-scoped runs are not repeated per worker, and every test that reads the README's run joins
    one group, so the one fresh-venv demo run is not repeated either.

    The longest groups are handed out first (`.ci/run` passes --no-loadscope-reorder, which would
    otherwise order groups by their number of tests): a minute-long group started last leaves the
    other worker idle at the end."""
    def group(item) -> str:
        return "readme" if "readme_run" in getattr(item, "fixturenames", ()) else item.nodeid.split("::")[0]

    for item in items:
        item.add_marker(pytest.mark.xdist_group(group(item)))
    first = {name: rank for rank, name in enumerate(LONGEST_GROUPS)}
    items.sort(key=lambda item: first.get(group(item), len(first)))  # stable: the rest keep their order


# Test groups by their time on an idle 2-core machine, longest first (pytest --durations=0).
LONGEST_GROUPS = ("readme", "tests/test_slurm_cluster.py", "tests/test_run_security.py",
                  "tests/test_workflow_e2e.py", "tests/test_run_lock.py", "tests/test_workflow_builds.py",
                  "tests/test_cohort.py", "tests/test_ingest_integrity.py", "tests/test_bench_pipeline.py",
                  "tests/test_resources_hpo.py")


@pytest.fixture(scope="session")
def readme_run(tmp_path_factory) -> ReadmeRun:
    """The set-up command (install, then the demo) and every command of the Use section, run once in
    order as written, in a copy of the tracked files with a new virtualenv; stops at the first
    failure. Shared: the demo tests read the demo this wrote (one real demo run for the suite)."""
    root = tmp_path_factory.mktemp("readme")
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard"], capture_output=True,
                           text=True, check=True).stdout.split()
    copy = root / "variantprio"
    for name in files:
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, PATH=os.pathsep.join([str(venv / "bin"), os.environ["PATH"]]), VIRTUAL_ENV=str(venv))
    env.pop("PYTHONPATH", None)
    commands = readme_bash_blocks("Set up")[:1] + readme_bash_blocks("Use")
    results = []
    for command in commands:
        results.append(subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=copy, env=env,
                                      capture_output=True, text=True, timeout=900))
        if results[-1].returncode != 0:
            break
    return ReadmeRun(copy, venv, env, commands, results)


# --- the read-only data next to the repository -------------------------------------------------------

def shared_data(relative: str) -> Path:
    """<repo>/../shared/<relative> (benchmark and reference data kept outside the project); the calling
    test skips, always with the same message, when it is absent."""
    path = (REPO.parent / "shared" / relative).resolve()
    if not path.exists():
        pytest.skip(f"shared data absent: ../shared/{relative}")
    return path


# --- the miniature HPO release ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def mini_hpo() -> Path:
    """tests/data/phenotype_hpo: a hand-written HPO release (hp.obo, phenotype.hpoa, genes_to_phenotype)
    small enough to reason about by hand. Read-only: copy it before changing it."""
    return MINI_HPO


# French labels of the miniature release, in the HPO project's Babelon layout (format quirks included:
# duplicate rows, a CANDIDATE beside an OFFICIAL label, a lost '&' before 'quot;').
MINI_FR_LABELS = {  # term -> [(status, label)]
    "HP:0001250": [("OFFICIAL", "Crise épileptique"), ("OFFICIAL", "Crise épileptique"), ("CANDIDATE", "Convulsion")],
    "HP:0000252": [("CANDIDATE", "quot;Microcéphaliequot;")],
    "HP:0000256": [("OFFICIAL", "Macrocéphalie")],
    "HP:0004322": [("OFFICIAL", "Petite taille")],
    "HP:0007359": [("OFFICIAL", "Crise épileptique focale")],
}  # HP:0001263 (Global developmental delay) has no French label: the English one is shown, marked
MINI_FR_SYNONYMS = [("HP:0001250", "convulsions|crises convulsives", "OFFICIAL"),
                    ("HP:0000252", "anomalie de la tête", "CANDIDATE"),
                    ("HP:0000256", "Anomalie de la tête", "CANDIDATE"),
                    ("HP:0000256", "grosse tête", "CANDIDATE")]


@pytest.fixture(scope="session")
def mini_hpo_fr(tmp_path_factory) -> Path:
    """The miniature release in <dir>/2099-01-01 with French translations in <dir>/translations/, the
    layout `resources fetch hpo --lang fr` writes and ../shared/hpo has."""
    import shutil

    root = tmp_path_factory.mktemp("mini-hpo-fr")
    release = Path(shutil.copytree(MINI_HPO, root / "2099-01-01"))
    (root / "translations").mkdir()
    header = ("subject_id\tsource_language\ttranslation_language\tpredicate_id\tcomment\tsource_value\t"
              "translation_status\ttranslation_value\n")
    rows = [f"{term}\ten\tfr\trdfs:label\tlabel of {term}\t-\t{status}\t{text}\n"
            for term, labels in MINI_FR_LABELS.items() for status, text in labels]
    rows.append("HP:0001250\ten\tfr\tIAO:0000115\tdefinition\t-\tOFFICIAL\tUne définition, pas un libellé\n")
    (root / "translations" / "hp-fr-preprocessed.babelon.tsv").write_text(header + "".join(rows), encoding="utf-8")
    synonyms = "subject_id\ttranslation_value\tcomment\tStatus\tLine number\nID\tAL oboInOwl:hasExactSynonym@fr\t\t\t\n"
    synonyms += "".join(f"{term}\t{text}\tsynonyms of {term}\t{status}\t1\n" for term, text, status in MINI_FR_SYNONYMS)
    (root / "translations" / "hp-fr.synonyms.tsv").write_text(synonyms, encoding="utf-8")
    return release


# --- the one VCF writer -------------------------------------------------------------------------------

GT_HEADER = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'

# The meta-information most tests need (FILTER, INFO and FORMAT lines); contigs are added separately.
VCF_META = ('##FILTER=<ID=PASS,Description="All filters passed">\n'
            '##FILTER=<ID=LowQual,Description="Low quality">\n'
            '##INFO=<ID=END,Number=1,Type=Integer,Description="End position">\n'
            '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">\n'
            '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
            'Format: Allele|Consequence|SYMBOL">\n'
            "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: "
            "'Allele | Annotation | Gene_Name'\">\n"
            + GT_HEADER +
            '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
            '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n'
            '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">\n'
            '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Likelihoods">\n')

DEFAULT_CONTIGS = ("chr1", "chrX", "chrY", "chrM")
Record = str | Sequence[object]


def _contig_lines(contigs: Iterable[str] | Mapping[str, int | None], build: str) -> str:
    """Names take their length from `build`; a mapping gives lengths itself (None: no length)."""
    lengths = contigs if isinstance(contigs, Mapping) else {c: CONTIG_LENGTHS[build][c] for c in contigs}
    return "".join(f"##contig=<ID={c}>\n" if n is None else f"##contig=<ID={c},length={n}>\n"
                   for c, n in lengths.items())


def _record_line(record: Record) -> str:
    """A record given as one string of single-space-separated fields, or as a sequence of fields."""
    if isinstance(record, str):
        return record.replace(" ", "\t")
    return "\t".join(str(field) for field in record)


def vcf_text(records: Iterable[Record], samples: Sequence[str] = ("S1", "S2"), *, build: str = "GRCh38",
             contigs: Iterable[str] | Mapping[str, int | None] = DEFAULT_CONTIGS, meta: str = VCF_META,
             extra_header: str = "", fileformat: str = "VCFv4.2") -> str:
    """The text of a VCF: ##fileformat, `meta`, contigs, `extra_header`, the #CHROM line (FORMAT and
    samples unless `samples` is empty: sites-only) and the records in the order given."""
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
    if samples:
        columns += ["FORMAT", *samples]
    meta = meta if not meta or meta.endswith("\n") else meta + "\n"
    body = "".join(_record_line(r) + "\n" for r in records)
    return (f"##fileformat={fileformat}\n" + meta + _contig_lines(contigs, build) + extra_header
            + "\t".join(columns) + "\n" + body)


def write_vcf(path: Path, records: Iterable[Record], samples: Sequence[str] = ("S1", "S2"), *,
              index: bool = False, **header) -> Path:
    """Write a tiny VCF (see `vcf_text` for the header options) and return its path. A path ending in
    `.gz` is bgzipped (BGZF, as bgzip writes it); `index` adds a tabix index (the records must be
    sorted)."""
    path = Path(path)
    text = vcf_text(records, samples, **header)
    if path.suffix != ".gz":
        assert not index, "an index needs a bgzipped VCF: name it *.vcf.gz"
        path.write_text(text)
        return path
    plain = path.with_name(path.name[:-3] + ".plain")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    if index:
        pysam.tabix_index(str(path), preset="vcf", force=True)
    return path



@pytest.fixture()
def private_cache(tmp_path, monkeypatch) -> Path:
    """A cache directory of the test's own, so no test reads another's (or the user's) cache."""
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


# --- result tables compared in content ------------------------------------------------------------

# Provenance that differs between two runs of the same inputs without the results differing.
_TIMING_KEYS = frozenset({"seconds"})


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in _TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _provenance(path: Path, roots: tuple[Path, ...]) -> dict[str, object]:
    """A table's file metadata (what `tables.TableWriter.close` finally wrote) as two runs of the same
    inputs into two directories share it: timings left out, the results directory spelled
    `<results>` and the config hash `<config>` (the workflow config names the results directory, so
    its hash differs; a real setting that differs shows in the command line and the options)."""
    metadata = pq.read_metadata(path).metadata or {}
    config = metadata.get(b"variantprio.config_sha256", b"").decode()
    out: dict[str, object] = {}
    for key, value in metadata.items():
        if key == b"ARROW:schema":
            continue  # compared as the schema itself
        text = value.decode()
        for root in roots:  # a copied run's command line still names the directory it ran in
            text = text.replace(str(root.resolve()), "<results>").replace(str(root), "<results>")
        text = text.replace(config, "<config>") if config else text
        try:
            out[key.decode()] = _without_timing(json.loads(text))
        except ValueError:
            out[key.decode()] = text
    return out


def parquet_differences(before: Path, after: Path, provenance: bool = True, ignore: tuple[str, ...] = ()
                        ) -> list[str]:
    """Every way the Parquet tables under `after` differ from those under `before` (same relative
    paths): a table missing on either side, a schema (names, types, field docs), the rows (Arrow
    `equals`), or (with `provenance`) the provenance metadata apart from timings and the `ignore`
    keys. Empty: the same results."""
    def tables(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet")) if ".snakemake" not in p.parts}

    old, new = tables(before), tables(after)
    problems = [f"{name}: only in {before}" for name in old.keys() - new.keys()]
    problems += [f"{name}: only in {after}" for name in new.keys() - old.keys()]
    for name in sorted(old.keys() & new.keys()):
        a, b = pq.read_table(old[name]), pq.read_table(new[name])
        if [(f.name, f.type, f.nullable) for f in a.schema] != [(f.name, f.type, f.nullable) for f in b.schema]:
            problems.append(f"{name}: columns differ")
        elif not a.equals(b):
            problems.append(f"{name}: rows differ")
        docs = [f.name for f, g in zip(a.schema, b.schema) if f.name == g.name and f.metadata != g.metadata]
        if docs:
            problems.append(f"{name}: column docs differ ({', '.join(docs)})")
        if provenance:
            pa_, pb = _provenance(old[name], (before, after)), _provenance(new[name], (before, after))
            problems += [f"{name}: metadata {key} differs" for key in sorted(pa_.keys() | pb.keys())
                         if pa_.get(key) != pb.get(key) and key not in ignore]
    return problems


# --- a real PostgreSQL server on loopback for the cohort database tests -------------------------
# Started once per session from Debian's `postgresql` package (as the `postgres` user when the tests
# run as root, which PostgreSQL requires) and stopped at the end. When it cannot start, the tests
# that need it FAIL; VARIANTPRIO_SKIP_POSTGRES=1 turns that into an explicit skip.

def _pg_bindir() -> Path | None:
    import glob
    import shutil as _shutil

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = _shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@pytest.fixture(scope="session")
def postgres_server():
    """(host, port) of a throwaway PostgreSQL cluster; each test makes its own database."""
    import os
    import shutil as _shutil
    import socket
    import tempfile

    if os.environ.get("VARIANTPRIO_SKIP_POSTGRES") == "1":
        pytest.skip("VARIANTPRIO_SKIP_POSTGRES=1: PostgreSQL tests switched off")
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it), or set "
                    "VARIANTPRIO_SKIP_POSTGRES=1 to skip these tests")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="variantprio-pg-"))
    if as_postgres:
        _shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    run = lambda *cmd: subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off", "start")
    except (subprocess.CalledProcessError, OSError) as err:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        _shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {getattr(err, 'stderr', err)} {log[-500:]}")
    yield ("127.0.0.1", port, bindir)
    # `immediate`: no shutdown checkpoint; the cluster is thrown away with its directory anyway.
    subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                   capture_output=True)
    _shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["duckdb", "postgres"])
def cohort_db(request, tmp_path) -> str:
    """An empty cohort database: a DuckDB file, or a fresh database on the session's PostgreSQL."""
    if request.param == "duckdb":
        return str(tmp_path / "cohort.duckdb")
    host, port, bindir = request.getfixturevalue("postgres_server")
    name = f"t{abs(hash(request.node.nodeid)) % 10**10}"
    subprocess.run([str(bindir / "createdb"), "-h", host, "-p", str(port), "-U", "postgres", name],
                   check=True, capture_output=True)
    return f"postgresql://postgres@{host}:{port}/{name}"


# --- the demo data as if called on GRCh37 (b37 names), and a chain back to GRCh38 -------------------

B37_SHIFT = 500  # a demo position on "GRCh37" is its GRCh38 position + B37_SHIFT


def demo_vcf_on_grch37(vcf: Path, out: Path, shift: int = B37_SHIFT) -> Path:
    """A demo VCF rewritten as a b37 call set: contigs 1..22, X, Y, MT with GRCh37 lengths and
    assembly=b37, ##reference=GRCh37, every position moved by `shift`; bgzipped and indexed."""
    import gzip

    lines = []
    with gzip.open(vcf, "rt") as handle:
        for line in handle:
            if line.startswith("##contig=") or line.startswith("##reference="):
                continue
            if line.startswith("#CHROM"):
                lines.append("##reference=GRCh37\n")
                lines += [f"##contig=<ID={c[3:] if c != 'chrM' else 'MT'},length={n},assembly=b37>\n"
                          for c, n in CONTIG_LENGTHS["GRCh37"].items()]
            if line.startswith("#"):
                lines.append(line)
                continue
            fields = line.split("\t")
            fields[0] = fields[0][3:]
            fields[1] = str(int(fields[1]) + shift)
            lines.append("\t".join(fields))
    plain = out.with_name(out.name[:-3])
    plain.write_text("".join(lines))
    pysam.tabix_compress(str(plain), str(out), force=True)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    plain.unlink()
    return out


def gene_model_on(gtf: Path, out: Path, build: str, shift: int = 0) -> Path:
    """The demo GTF stating `build` in a GENCODE-style header, its positions moved by `shift`."""
    rows = []
    for line in gtf.read_text().splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        fields[3], fields[4] = str(int(fields[3]) + shift), str(int(fields[4]) + shift)
        rows.append("\t".join(fields))
    out.write_text(f"#description: demo gene model ({build})\n#!genome-build {build}\n" + "\n".join(rows) + "\n")
    return out


def shift_chain(out: Path, shift: int = B37_SHIFT) -> Path:
    """A UCSC chain GRCh37 (b37 names) -> GRCh38 undoing `demo_vcf_on_grch37`'s shift on chr1..chr22."""
    chains = []
    for i in range(1, 23):
        c = f"chr{i}"
        size37, size38 = CONTIG_LENGTHS["GRCh37"][c], CONTIG_LENGTHS["GRCh38"][c]
        block = min(size37 - shift, size38) - 1000
        chains.append(f"chain 1000 {i} {size37} + {shift} {shift + block} {c} {size38} + 0 {block} {i}\n{block}\n")
    out.write_text("\n".join(chains) + "\n")
    return out


def clinvar_vcf(out: Path, build: str, records: list[tuple[str, int, str, str]]) -> Path:
    """A tiny ClinVar-format VCF (bgzipped, tabix-indexed) calling each (chrom, pos, ref, alt)
    Pathogenic; contig names as given, lengths of `build`."""
    names = sorted({r[0] for r in records})
    meta = ('##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance">\n'
            '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="Review status">\n')
    from variantprio.core.genome import canonical_chrom

    contigs = {n: CONTIG_LENGTHS[build][canonical_chrom(n)] for n in names}
    body = [(c, p, ".", r, a, ".", ".", "CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_single_submitter")
            for c, p, r, a in sorted(records)]
    return write_vcf(out, body, samples=(), meta=meta, contigs=contigs, index=True)


# --- a loopback HTTP server for the download tests -----------------------------------------------

HTML_ERROR_PAGE = b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>404</body></html>\n"


class FileServer(http.server.ThreadingHTTPServer):
    """A real loopback HTTP server for download tests: the served files (URL path -> bytes), the
    request log, Range requests and the failure modes (a transfer cut halfway, an HTML page)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FileHandler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.cut: set[str] = set()  # paths whose next response stops halfway and drops the connection
        self.html: set[str] = set()  # paths answered with an HTML page and HTTP 200
        self.aliases: dict[str, str] = {}  # path -> the path it stands for (e.g. a moving name -> a dated one)
        self.redirect_aliases = True  # False: serve the aliased file directly, like a plain mirror

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requested(self, name: str) -> list[tuple[str, str | None]]:
        return [r for r in self.requests if r[0].endswith("/" + name)]


class _FileHandler(http.server.BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        target = srv.aliases.get(self.path)
        if target is not None:
            if srv.redirect_aliases:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_data(target)
            return
        self.send_data(self.path)

    def send_data(self, path: str) -> None:
        srv = self.server
        if path in srv.html:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(HTML_ERROR_PAGE)))
            self.end_headers()
            self.wfile.write(HTML_ERROR_PAGE)
            return
        if path not in srv.files:
            self.send_error(404)
            return
        data = srv.files[path]
        start, end = 0, len(data) - 1
        rng = self.headers.get("Range")
        if rng:
            first, _, last = rng.split("=", 1)[1].partition("-")
            start, end = int(first), min(int(last), end) if last else end
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:end + 1]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if path in srv.cut:
            srv.cut.discard(path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-transfer
            self.close_connection = True
            return
        self.wfile.write(body)


@contextlib.contextmanager
def serving(files: Mapping[str, bytes] | None = None) -> Iterator[FileServer]:
    """A FileServer with these files (URL path -> bytes), running in a thread while in use."""
    srv = FileServer()
    srv.files.update(files or {})
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()

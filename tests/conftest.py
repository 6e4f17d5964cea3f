"""Fixtures shared by the test modules: the CLI as a user runs it, the generated demo inputs, the one
VCF writer, the miniature HPO release and the one lookup of the read-only `../shared` data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

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
    """`variantprio run` of the demo's FAM1 trio (VCF, PED, gene model) into `out`, one core."""
    return ["run", "--vcf", str(demo.vcfs["FAM1"]), "--ped", str(demo.ped), "--sample", FAM1_CHILD,
            "--hpo", terms, "--gene-model", str(demo.gene_model), "--out", str(out), "--cores", "1"]


@pytest.fixture(scope="session")
def fam1_run(demo_inputs, tmp_path_factory) -> Path:
    """The output directory of one real, undisturbed `fam1_run_args` run, shared by the tests that need
    a reference result or an earlier run's results (read-only: copy it before running into it)."""
    out = tmp_path_factory.mktemp("fam1-run")
    run_cli(*fam1_run_args(demo_inputs, out))
    return out


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
    subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
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

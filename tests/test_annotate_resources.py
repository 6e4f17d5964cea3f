"""`variantprio resources gene-model` and `resources fetch` against a real loopback HTTP server:
download, skip when valid, resume a truncated download, checksum mismatch, tabix indexing."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pysam
import pytest
from click.testing import CliRunner

from conftest import write_vcf
from test_annotate import gtf  # noqa: F401  (fixture)
from variantprio.annotate import load_gene_model
from variantprio.cli import main


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with Range support; `truncate/<file>` promises the full length but stops halfway."""

    ranges: list[str] = []

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        root = Path(self.directory)
        truncate = self.path.startswith("/truncate/")
        path = root / self.path.split("/")[-1]
        if not path.exists():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        if rng:
            _Handler.ranges.append(rng)
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.ranges = []
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def clinvar_vcf(root: Path) -> Path:
    return write_vcf(root / "clinvar.vcf.gz", [f"1 {1000 + i} {i} A G . . CLNSIG=Pathogenic" for i in range(2000)],
                     samples=(), fileformat="VCFv4.1", contigs={"1": 248956422},
                     meta='##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Classification">')


def manifest(tmp_path: Path, url: str, checksum: str, algo: str = "sha256") -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(f"sources:\n  - name: clinvar\n    kind: clinvar\n    url: {url}\n    {algo}: '{checksum}'\n"
                    "    version: '2024-05'\n    build: GRCh38\n    file: clinvar.vcf.gz\n")
    return path


def run_fetch(tmp_path: Path, man: Path):
    return CliRunner().invoke(main, ["resources", "fetch", "--manifest", str(man), "--dir", str(tmp_path / "res")])


def test_fetch_download_index_then_skip(tmp_path, server):
    root, base = server
    gz = clinvar_vcf(root)
    man = manifest(tmp_path, f"{base}/clinvar.vcf.gz", hashlib.sha256(gz.read_bytes()).hexdigest())
    result = run_fetch(tmp_path, man)
    assert result.exit_code == 0, result.output
    installed = tmp_path / "res" / "clinvar.vcf.gz"
    assert "clinvar: downloaded" in result.stdout and installed.read_bytes() == gz.read_bytes()
    assert len(list(pysam.TabixFile(str(installed)).fetch("1", 1500, 1502))) == 2
    assert "kind: clinvar" in (tmp_path / "res" / "sources.yaml").read_text()
    again = run_fetch(tmp_path, man)
    assert again.exit_code == 0 and "clinvar: skipped" in again.stdout


def test_fetch_md5_and_resume_after_truncation(tmp_path, server):
    root, base = server
    gz = clinvar_vcf(root)
    md5 = hashlib.md5(gz.read_bytes()).hexdigest()
    first = run_fetch(tmp_path, manifest(tmp_path, f"{base}/truncate/clinvar.vcf.gz", md5, "md5"))
    assert first.exit_code == 2 and "truncated" in first.stderr and "re-run to resume" in first.stderr
    part = tmp_path / "res" / "clinvar.vcf.gz.part"
    assert part.exists() and not (tmp_path / "res" / "clinvar.vcf.gz").exists()
    second = run_fetch(tmp_path, manifest(tmp_path, f"{base}/clinvar.vcf.gz", md5, "md5"))
    assert second.exit_code == 0, second.output
    assert "clinvar: resumed" in second.stdout and _Handler.ranges == [f"bytes={part_size(gz)}-"]
    assert (tmp_path / "res" / "clinvar.vcf.gz").read_bytes() == gz.read_bytes()


def part_size(gz: Path) -> int:
    return len(gz.read_bytes()) // 2


def test_fetch_checksum_mismatch_installs_nothing(tmp_path, server):
    root, base = server
    clinvar_vcf(root)
    result = run_fetch(tmp_path, manifest(tmp_path, f"{base}/clinvar.vcf.gz", "0" * 64))
    assert result.exit_code == 2
    errors = [l for l in result.stderr.splitlines() if l.startswith("variantprio: error:")]
    assert len(errors) == 1 and "checksum mismatch" in errors[0]
    assert not list((tmp_path / "res").glob("clinvar.vcf.gz*"))


def test_fetch_http_404_and_bad_manifest(tmp_path, server):
    _, base = server
    result = run_fetch(tmp_path, manifest(tmp_path, f"{base}/missing.vcf.gz", "0" * 64))
    assert result.exit_code == 2 and "HTTP 404" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {name: x, url: 'http://127.0.0.1:1/x.vcf.gz', version: '1', build: GRCh38}\n")
    result = run_fetch(tmp_path, bad)
    assert result.exit_code == 2 and "sha256 or md5" in result.stderr


def test_resources_gene_model_builds_parquet(tmp_path, gtf):  # noqa: F811
    out = tmp_path / "model.parquet"
    result = CliRunner().invoke(main, ["resources", "gene-model", "--from", str(gtf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load_gene_model(out)
    assert model.version == "gencode44" and model.table.num_rows == 4
    result = CliRunner().invoke(main, ["resources", "gene-model", "--from", str(tmp_path / "x.gtf"),
                                       "--out", str(tmp_path / "y.parquet")])
    assert result.exit_code == 2 and "not found" in result.stderr and not (tmp_path / "y.parquet").exists()

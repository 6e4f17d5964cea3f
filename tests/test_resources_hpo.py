"""`variantprio resources fetch hpo` against a miniature HPO release served by a real loopback HTTP
server laid out like GitHub (releases/download/v<DATE>/, releases/latest/download/, raw/<tag>/...):
install and release.json, skip on re-run, checksum mismatch, cut transfer then Range resume,
'latest' resolution, HTML error pages refused, one-line errors with exit code 2."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FileServer, run_cli, serving

from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.resources import hpo_checks

RELEASE = "2026-06-23"
FILES = ("phenotype.hpoa", "hp.obo", "genes_to_disease.txt")
FR = "hp-fr-preprocessed.babelon.tsv"
FR_SYNONYMS = "hp-fr.synonyms.tsv"


def mini_release(date: str) -> dict[str, bytes]:
    """Release files with real headers; phenotype.hpoa is long enough to be cut mid-transfer."""
    hpoa = (f"#description: \"HPO annotations for rare diseases\"\n#version: {date}\n"
            "#tracker: https://github.com/obophenotype/human-phenotype-ontology/issues\n"
            "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\t"
            "modifier\taspect\tbiocuration\n"
            + "".join(f"OMIM:{600000 + i}\tDisease {i}\t\tHP:0001250\tPMID:{1000 + i}\tPCS\t\t1/2\t\t\tP\t"
                      "HPO:probinson[2021-06-21]\n" for i in range(3000)))
    obo = ("format-version: 1.2\ndata-version: hp/releases/2026-06-06\nontology: hp\n\n"
           "[Term]\nid: HP:0000001\nname: All\n\n[Term]\nid: HP:0001250\nname: Seizure\nis_a: HP:0000001\n")
    g2d = ("ncbi_gene_id\tgene_symbol\tassociation_type\tdisease_id\tsource\n"
           "NCBIGene:6323\tSCN1A\tMENDELIAN\tOMIM:600000\tftp://ftp.ncbi.nlm.nih.gov/gene/DATA/mim2gene_medgen\n")
    fr = ("subject_id\tsource_language\ttranslation_language\tpredicate_id\tcomment\tsource_value\t"
          "translation_status\ttranslation_value\n"
          "HP:0001250\ten\tfr\trdfs:label\t\tSeizure\tOFFICIAL\tCrise épileptique\n")
    synonyms = ("subject_id\ttranslation_value\tcomment\tStatus\tLine number\n"
                "ID\tAL oboInOwl:hasExactSynonym@fr\t\t\t\nHP:0001250\tconvulsions\t\tOFFICIAL\t1\n")
    return {"phenotype.hpoa": hpoa.encode(), "hp.obo": obo.encode(), "genes_to_disease.txt": g2d.encode(),
            FR: fr.encode(), FR_SYNONYMS: synonyms.encode()}


def publish(srv: FileServer, date: str, files: dict[str, bytes]) -> None:
    """Lay a release out like GitHub: release assets and translations at the tag."""
    for name, data in files.items():
        path = (f"/raw/v{date}/src/translations/{name}" if name.startswith("hp-")
                else f"/releases/download/v{date}/{name}")
        srv.files[path] = data


@pytest.fixture()
def server():
    with serving() as srv:
        publish(srv, RELEASE, mini_release(RELEASE))
        yield srv


def fetch(srv: FileServer, out: Path, *args: str):
    return CliRunner().invoke(main, ["resources", "fetch", "hpo", "--out", str(out), "--base-url", srv.base,
                                     "--timeout", "10", *args])


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("variantprio: error:")]


def assert_one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_fetch_installs_release_and_records_it(tmp_path, server):
    result = fetch(server, tmp_path / "hpo", "--release", RELEASE, "--lang", "fr")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "hpo" / RELEASE
    served = mini_release(RELEASE)
    for name in (*FILES, FR, FR_SYNONYMS):
        assert (folder / name).read_bytes() == served[name]
        assert f"{name}: downloaded" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, FR, FR_SYNONYMS, "release.json"])  # no temp
    record = json.loads((folder / "release.json").read_text())
    assert (record["release"], record["tag"], record["requested"]) == (RELEASE, f"v{RELEASE}", RELEASE)
    assert record["annotations_version"] == RELEASE and record["ontology_version"] == "2026-06-06"
    assert record["complete"] is True and record["translations"] == {"fr": FR}
    assert record["synonyms"] == {"fr": FR_SYNONYMS}
    assert record["files"][FR_SYNONYMS]["url"] == f"{server.base}/raw/v{RELEASE}/src/translations/{FR_SYNONYMS}"
    for name in (*FILES, FR, FR_SYNONYMS):
        entry = record["files"][name]
        assert entry["sha256"] == hashlib.sha256(served[name]).hexdigest()
        assert entry["size"] == len(served[name])
        assert entry["url"].startswith(server.base) and entry["url"].endswith("/" + name)
        assert dt.datetime.fromisoformat(entry["downloaded_at"]).tzinfo is not None
    assert record["files"]["phenotype.hpoa"]["url"] == f"{server.base}/releases/download/v{RELEASE}/phenotype.hpoa"
    assert record["files"][FR]["url"] == f"{server.base}/raw/v{RELEASE}/src/translations/{FR}"
    assert f"--hpo-dir {folder}" in result.stdout


def test_rerun_with_verified_files_downloads_nothing(tmp_path, server):
    assert fetch(server, tmp_path / "hpo", "--release", RELEASE).exit_code == 0
    before = json.loads((tmp_path / "hpo" / RELEASE / "release.json").read_text())
    server.requests.clear()
    again = fetch(server, tmp_path / "hpo", "--release", RELEASE)
    assert again.exit_code == 0, again.output
    assert server.requests == []
    assert all(f"{name}: skipped" in again.stdout for name in FILES)
    after = json.loads((tmp_path / "hpo" / RELEASE / "release.json").read_text())
    assert after["files"] == before["files"]  # download times kept


def test_checksum_mismatch_is_one_line_and_installs_nothing(tmp_path, server):
    result = fetch(server, tmp_path / "hpo", "--release", RELEASE, "--sha256", "phenotype.hpoa=" + "0" * 64)
    assert_one_line_error(result, "checksum mismatch", "/phenotype.hpoa", "nothing was installed")
    folder = tmp_path / "hpo" / RELEASE
    assert not list(folder.glob("phenotype.hpoa*"))
    assert "phenotype.hpoa" not in json.loads((folder / "release.json").read_text())["files"]


def test_given_checksum_accepted(tmp_path, server):
    digest = hashlib.sha256(mini_release(RELEASE)["hp.obo"]).hexdigest()
    result = fetch(server, tmp_path / "hpo", "--release", RELEASE, "--sha256", f"hp.obo={digest.upper()}")
    assert result.exit_code == 0, result.output


def test_recorded_checksum_repairs_damage_and_catches_upstream_change(tmp_path, server):
    folder = tmp_path / "hpo" / RELEASE
    assert fetch(server, tmp_path / "hpo", "--release", RELEASE).exit_code == 0
    (folder / "hp.obo").write_text("format-version: 1.2\ndamaged\n")
    repaired = fetch(server, tmp_path / "hpo", "--release", RELEASE)
    assert repaired.exit_code == 0 and "hp.obo: downloaded" in repaired.stdout
    assert (folder / "hp.obo").read_bytes() == mini_release(RELEASE)["hp.obo"]
    # The release changed upstream after it was recorded: refused, and the stale copy is gone.
    (folder / "hp.obo").write_text("format-version: 1.2\nlocal edit\n")
    server.files[f"/releases/download/v{RELEASE}/hp.obo"] += b"[Term]\nid: HP:9999999\n"
    result = fetch(server, tmp_path / "hpo", "--release", RELEASE)
    assert_one_line_error(result, "checksum mismatch", "hp.obo")
    assert not list(folder.glob("hp.obo*"))
    record = json.loads((folder / "release.json").read_text())
    assert "hp.obo" not in record["files"] and record["complete"] is False


def test_interrupted_transfer_resumes_with_range(tmp_path, server):
    path = f"/releases/download/v{RELEASE}/phenotype.hpoa"
    full = server.files[path]
    server.cut.add(path)
    first = fetch(server, tmp_path / "hpo", "--release", RELEASE)
    assert_one_line_error(first, "re-run to resume", "/phenotype.hpoa")
    folder = tmp_path / "hpo" / RELEASE
    part = folder / "phenotype.hpoa.part"
    assert not (folder / "phenotype.hpoa").exists() and 0 < part.stat().st_size < len(full)
    have = part.stat().st_size
    server.requests.clear()
    second = fetch(server, tmp_path / "hpo", "--release", RELEASE)
    assert second.exit_code == 0, second.output
    assert "phenotype.hpoa: resumed" in second.stdout
    assert server.requested("phenotype.hpoa") == [(path, f"bytes={have}-")]
    assert (folder / "phenotype.hpoa").read_bytes() == full and not part.exists()
    record = json.loads((folder / "release.json").read_text())
    assert record["files"]["phenotype.hpoa"]["sha256"] == hashlib.sha256(full).hexdigest()


@pytest.mark.parametrize("redirect", [True, False], ids=["redirect", "header"])
def test_latest_resolves_to_the_dated_release(tmp_path, server, redirect):
    newer = "2026-09-01"
    publish(server, newer, mini_release(newer))
    server.aliases = {f"/releases/latest/download/{name}": f"/releases/download/v{newer}/{name}" for name in FILES}
    server.redirect_aliases = redirect
    result = fetch(server, tmp_path / "hpo")  # --release latest is the default
    assert result.exit_code == 0, result.output
    folder = tmp_path / "hpo" / newer
    assert (folder / "phenotype.hpoa").read_bytes() == mini_release(newer)["phenotype.hpoa"]
    record = json.loads((folder / "release.json").read_text())
    assert (record["release"], record["requested"], record["annotations_version"]) == (newer, "latest", newer)
    assert server.requests[0] == ("/releases/latest/download/phenotype.hpoa", "bytes=0-65535")
    assert f"/releases/download/v{newer}/hp.obo" in [r[0] for r in server.requests]


@pytest.mark.parametrize("name", ["hp.obo", "phenotype.hpoa", "genes_to_disease.txt", FR])
def test_html_error_page_is_never_installed(tmp_path, server, name):
    path = (f"/raw/v{RELEASE}/src/translations/{name}" if name == FR
            else f"/releases/download/v{RELEASE}/{name}")
    server.html.add(path)
    result = fetch(server, tmp_path / "hpo", "--release", RELEASE, "--lang", "fr")
    assert_one_line_error(result, f"an HTML page, not {'translation table' if name == FR else name}", path)
    assert not list((tmp_path / "hpo" / RELEASE).glob(name + "*"))


def test_network_errors_are_one_line_with_url_and_hint(tmp_path, server):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = run_cli("resources", "fetch", "hpo", "--out", str(tmp_path / "hpo"), "--release", RELEASE,
                     "--base-url", closed, "--timeout", "5", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and f"{closed}/releases/download/v{RELEASE}/phenotype.hpoa" in errors[0]
    assert "download failed" in errors[0] and "(fix: check the URL and the network" in errors[0]
    missing = fetch(server, tmp_path / "hpo", "--release", "2020-01-01")
    assert_one_line_error(missing, "HTTP 404", "v2020-01-01/phenotype.hpoa", "check the release")
    latest = fetch(server, tmp_path / "hpo")  # the server has no latest release
    assert_one_line_error(latest, "HTTP 404", "/releases/latest/download/phenotype.hpoa")


@pytest.mark.parametrize("args, needle", [
    (["--release", "2026-13-45"], "not a release"),
    (["--release", "june"], "not a release"),
    (["--sha256", "phenotype.hpoa"], "not FILE=SHA256"),
    (["--sha256", "phenotype.hpoa=abc"], "not FILE=SHA256"),
    (["--sha256", "hp.json=" + "0" * 64], "which this run does not fetch"),
    (["--lang", "french!"], "not a language code"),
])
def test_bad_options_are_one_line_errors(tmp_path, server, args, needle):
    assert_one_line_error(fetch(server, tmp_path / "hpo", *args), needle)
    assert server.requests == []


def test_release_given_as_tag(tmp_path, server):
    assert fetch(server, tmp_path / "hpo", "--release", f"v{RELEASE}").exit_code == 0
    assert (tmp_path / "hpo" / RELEASE / "hp.obo").exists()


def test_help_explains_every_option():
    result = CliRunner().invoke(main, ["resources", "fetch", "hpo", "--help"])
    assert result.exit_code == 0
    for option in ("--release", "--out", "--lang", "--sha256", "--base-url", "--timeout", "latest",
                   "release.json", "OUT/<release>"):
        assert option in result.output


def test_fetch_group_needs_a_manifest_or_a_subcommand(tmp_path):
    result = CliRunner().invoke(main, ["resources", "fetch"])
    assert result.exit_code == 2 and "--manifest" in result.output
    mixed = CliRunner().invoke(main, ["resources", "fetch", "--manifest", "m.yaml", "hpo", "--out", str(tmp_path)])
    assert mixed.exit_code == 2 and "are not its options" in mixed.output
    timeout = CliRunner().invoke(main, ["resources", "fetch", "--timeout", "5", "hpo", "--out", str(tmp_path)])
    assert timeout.exit_code == 2 and "resources fetch hpo --help" in timeout.output


@pytest.mark.parametrize("check, text, needle", [
    (hpo_checks.hpoa_version, "", "is empty"),
    (hpo_checks.hpoa_version, "  <html><body>rate limited</body></html>", "an HTML page"),
    (hpo_checks.hpoa_version, "database_id\tdisease_name\n", "starts with '#'"),
    (hpo_checks.hpoa_version, "#description: x\n#date: 2026-06-23\ndatabase_id\n", "no '#version"),
    (hpo_checks.obo_version, "<?xml version='1.0'?><rdf:RDF>", "an HTML page"),
    (hpo_checks.obo_version, "[Term]\nid: HP:0000001\n", "format-version"),
    (hpo_checks.genes_to_disease_ok, "gene\tdisease\n", "genes_to_disease"),
    (hpo_checks.babelon_ok, "id\tlabel\n", "Babelon"),
])
def test_content_checks_refuse_non_release_files(check, text, needle):
    with pytest.raises(InputError, match=needle):
        check(text, "http://example.org/file")


def test_content_checks_read_versions():
    assert hpo_checks.hpoa_version("#description: x\n#version: 2026-06-23\n", "u") == "2026-06-23"
    assert hpo_checks.obo_version("format-version: 1.2\ndata-version: hp/releases/2026-06-06\n", "u") == "2026-06-06"
    assert hpo_checks.obo_version("format-version: 1.2\n\n[Term]\ndata-version: x\n", "u") is None
    hpo_checks.genes_to_disease_ok("NCBIGene:1\tA1BG\tMENDELIAN\tOMIM:1\tsrc\n", "u")


def test_a_release_fetched_with_lang_fr_is_where_reports_and_term_input_find_french(tmp_path, server):
    from variantprio.core.hpolabels import (babelon_name, read_labels, read_synonyms, synonyms_name,
                                            translation_file)

    assert fetch(server, tmp_path / "hpo", "--release", RELEASE, "--lang", "fr").exit_code == 0
    folder = tmp_path / "hpo" / RELEASE
    assert read_labels(translation_file(folder, babelon_name("fr")))["HP:0001250"].text == "Crise épileptique"
    assert read_synonyms(translation_file(folder, synonyms_name("fr"))) == {"HP:0001250": ("convulsions",)}

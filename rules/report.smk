rule report:
    input:
        genes=res("{sample}", "genes.parquet"),
        variants=res("{sample}", "variants.parquet"),
    output:
        html=res("{sample}", "report.html"),
        tsv=res("{sample}", "candidates.tsv"),
        xlsx=res("{sample}", "candidates.xlsx"),
        vcf=res("{sample}", "candidates.vcf.gz"),
    log:
        "logs/report/{sample}.log",
    benchmark:
        "benchmarks/report/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=config.get("resources", {}).get("mem_mb_sample", 2000),
        slurm_partition=PARTITION,
    params:
        out_dir=lambda wildcards, output: q(os.path.dirname(output.html)),
        top=q(config.get("report", {}).get("top", 50)),
        terms=lambda wildcards: opt("--hpo-terms", vw.clean_terms(sample_row(wildcards)["hpo"])),
    shell:
        "variantprio report --genes {input.genes:q} --variants {input.variants:q} "
        "--proband {wildcards.sample:q} --out-dir {params.out_dir} --top {params.top} {params.terms} "
        "2> {log:q}"


rule summary:
    input:
        expand(res("{sample}", "genes.parquet"), sample=SAMPLES.index),
        expand(res("{sample}", "report.html"), sample=SAMPLES.index),
    output:
        html=res("summary.html"),
        tsv=res("summary.tsv"),
    log:
        "logs/summary/all.log",
    benchmark:
        "benchmarks/summary/all.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        slurm_partition=PARTITION,
    params:
        results=lambda wildcards, output: q(os.path.dirname(output.html) or "."),
    shell:
        "variantprio report-batch --results {params.results} --out {output.html:q} 2> {log:q}"

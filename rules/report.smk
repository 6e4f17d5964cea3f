rule report:
    input:
        genes=res("{sample}", "genes.parquet"),
        variants=res("{sample}", "variants.parquet"),
        input_variants=vcf_table("variants"),
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
        mem_mb=CONFIG.resources.mem_mb_sample,
        slurm_partition=PARTITION,
    params:
        out_dir=lambda wildcards, output: q(os.path.dirname(output.html)),
        top=q(CONFIG.report.top),
        terms=lambda wildcards: opt("--hpo-terms", vw.clean_terms(sample_row(wildcards)["hpo"])),
        hpo_dir=opt("--hpo-dir", CONFIG.phenotype.hpo_dir),
        cohort=opt("--cohort-db", CONFIG.cohort.db),
        lang=CONFIG.report.lang,
    shell:
        "{VP} report --genes {input.genes:q} --variants {input.variants:q} "
        "--input-variants {input.input_variants:q} --proband {wildcards.sample:q} --out-dir {params.out_dir} "
        "--top {params.top} {params.terms} {params.hpo_dir} {params.cohort} --lang {params.lang:q} 2> {log:q}"


rule summary:
    input:
        sheet=CONFIG.samples,
        reports=expand(res("{sample}", "report.html"), sample=SAMPLES.index),
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
        lang=CONFIG.report.lang,
    shell:
        "{VP} report-batch --results {params.results} --samples {input.sheet:q} --logs logs "
        "--lang {params.lang:q} --out {output.html:q} 2> {log:q}"


onerror:
    # A failed sample must not take the batch summary with it: list every sample with its status.
    write_summary_after_failure(res("summary.html"), CONFIG.samples, "logs", CONFIG.report.lang)

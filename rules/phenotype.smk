rule phenotype:
    input:
        phenopacket=lambda wildcards: sample_row(wildcards)["phenopacket"] or [],
    output:
        res("{sample}", "gene_phenotype.parquet"),
    log:
        "logs/phenotype/{sample}.log",
    benchmark:
        "benchmarks/phenotype/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=config.get("resources", {}).get("mem_mb_sample", 2000),
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["gene_phenotype"],
        terms=phenotype_terms,
        build=q(config.get("genome_build", "GRCh38")),
        method=q(config.get("phenotype", {}).get("method", "lr")),
        hpo_dir=opt("--hpo-dir", config.get("phenotype", {}).get("hpo_dir")),
    shell:
        "variantprio phenotype {params.terms} --method {params.method} {params.hpo_dir} "
        "--build {params.build} "
        "--out {output:q} 2> {log:q}"

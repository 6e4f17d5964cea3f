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
        mem_mb=CONFIG.resources.mem_mb_sample,
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["gene_phenotype"],
        terms=phenotype_terms,
        build=lambda wildcards: q(sample_build(wildcards)),
        method=q(CONFIG.phenotype.method),
        hpo_dir=opt("--hpo-dir", CONFIG.phenotype.hpo_dir),
        xspecies=opt("--xspecies", CONFIG.phenotype.xspecies_dir),
        components=("--mouse" if CONFIG.phenotype.mouse else "--no-mouse") + " "
        + ("--network" if CONFIG.phenotype.network else "--no-network"),
    shell:
        "{VP} phenotype {params.terms} --method {params.method} {params.hpo_dir} {params.xspecies} {params.components} "
        "--build {params.build} "
        "--out {output:q} 2> {log:q}"

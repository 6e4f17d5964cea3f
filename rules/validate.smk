rule validate:
    input:
        sheet=CONFIG.samples,
    output:
        res("validation.tsv"),
    log:
        "logs/validate/all.log",
    benchmark:
        "benchmarks/validate/all.tsv"
    threads: 1
    resources:
        mem_mb=500,
        slurm_partition=PARTITION,
    params:
        build=q(CONFIG.genome_build),
        hpo_dir=opt("--hpo-dir", CONFIG.phenotype.hpo_dir),  # terms and labels are checked against it
    shell:
        "{VP} validate --samples {input.sheet:q} --build {params.build} {params.hpo_dir} --out {output:q} 2> {log:q}"

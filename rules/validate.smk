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
    shell:
        "{VP} validate --samples {input.sheet:q} --build {params.build} --out {output:q} 2> {log:q}"

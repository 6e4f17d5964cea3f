rule validate:
    input:
        sheet=config["samples"],
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
        build=config["genome_build"],
    shell:
        "variantprio validate --samples {input.sheet} --build {params.build} --out {output} 2> {log}"

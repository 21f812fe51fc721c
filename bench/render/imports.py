"""The "Cold imports" section: each handler's cold import against `import boto3` alone, as Lambda imports it."""

from __future__ import annotations

from bench.measurements import Imports, ImportSummary, Source
from bench.render.cells import n, remeasured, table


def section(i: Imports | None, source: Source | None = None) -> list[str]:
    if not i:
        return ["", "## Cold imports", "", "Not measured.", ""]
    libraries = i.baselines.libraries
    out = [
        "",
        "## Cold imports",
        "",
        "Each handler imported the way Lambda imports it, on this machine: the CoreLayer's dependencies (the pins "
        f"of `layers/core/requirements.txt`: {', '.join(f'`{r}`' for r in i.layer_requirements)}) installed "
        "for this host with `pip install --target` (`sam build` makes the layer of arm64 wheels, which cannot run "
        "here), then `layers/core`, on `PYTHONPATH`: together what Lambda has in /opt/python. The interpreter is "
        f"the base Python {i.python} (no virtualenv, no user site-packages), run from the function's directory "
        "(Lambda's /var/task) with the function's environment and the Lambda runtime's variables set. "
        f"`python -X importtime -c 'import app'`, median of {i.repeats} fresh processes (after one unmeasured "
        "round that writes the bytecode caches), interleaved with `import boto3` alone run the same way: "
        f"**{i.boto3_median_ms:g} ms**, and with the libraries every handler imports and nothing of pushdeploy "
        f"({'; '.join(f'`{line}`' for line in libraries.imports)}). These are wall-clock times: the machine's "
        f"1-minute load average was {' then '.join(str(x) for x in i.load_average_1min)} while they "
        "ran, which inflates them, boto3's too, though not alike." + remeasured(i.source, source),
        "",
        "Every pushdeploy model derives from `pushdeploy.models.Model`, whose `defer_build=True` builds a model's "
        "validator when it is first used rather than at import. To show what that moves out of the import, each "
        "process then builds every model the handler imported (`model_rebuild()` on each subclass of `Model` "
        "not yet complete, all checked complete afterwards) and times it: the *deferred build*. A step builds "
        "only the models it uses, so import plus deferred build is an upper bound of what its first invocation "
        "adds.",
        "",
    ]

    def packages(x: ImportSummary) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in list(x.import_ms_by_package.items())[:5])

    body = [
        [label, n(x.median_ms), f"{x.ratio_to_boto3:g}x", "—", "—", packages(x)]
        for label, x in (("`import boto3` alone", i.baselines.boto3), ("the libraries alone", libraries))
    ]
    body += [
        [
            name,
            n(h.median_ms),
            f"{h.ratio_to_boto3:g}x",
            f"{h.deferred_build_ms:g} ({h.models_built} models)",
            f"{h.ratio_with_models_built:g}x",
            packages(h),
        ]
        for name, h in i.handlers.items()
    ]
    out += table(
        ["import", "ms", "vs boto3", "deferred build ms", "import + build vs boto3", "largest own times (ms)"], body
    )
    out += [
        "",
        "Own time: a module's import less that of the modules it imports, summed by top-level package (the "
        "standard library as one; `app` is the handler's own module). `bench/measurements.json` has every "
        "package's and how many of its modules each process imported.",
    ]
    return out

"""The "`sam build` artifacts" section: each function's and the layer's size, unzipped and zipped."""

from __future__ import annotations

from bench.measurements import Artifacts, ArtifactsError, Source
from bench.render.cells import remeasured, table


def section(a: Artifacts | ArtifactsError | None, source: Source | None = None) -> list[str]:
    out = ["", "## `sam build` artifacts", ""]
    if not isinstance(a, Artifacts):
        return [*out, f"Not measured: {a.error if a else 'skipped'}.", ""]
    out += [
        "`sam build` (SAM CLI from `scripts/check-template.sh --sam-path`, Python 3.12 on PATH, arm64) into "
        "the bench's own build directory; size on disk and as a deflated zip." + remeasured(a.source, source),
        "",
    ]
    body = [
        [
            name,
            str(x.files),
            f"{x.bytes / 1e6:.2f} MB" if x.bytes > 1e5 else f"{x.bytes} B",
            f"{x.zipped_bytes / 1e6:.2f} MB" if x.zipped_bytes > 1e5 else f"{x.zipped_bytes} B",
            ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in x.largest_packages.items()),
        ]
        for name, x in a.artifacts.items()
    ]
    out += table(["artifact", "files", "unzipped", "zipped", "largest packages"], body)
    return out

"""The targets document: who follows which repository and tags."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pushdeploy.models import Target, TargetsConfig

BACKEND = {
    "cluster": "aiuteur-cluster",
    "service": "aiuteur-backend-service",
    "container": "aiuteur-backend",
    "repository": "aiuteur-backend",
}


@pytest.mark.parametrize(
    ("tags", "tag", "watched"),
    [
        (["*"], "latest", True),
        (["v*"], "v1.4.2", True),
        (["v*"], "latest", False),
        (["latest", "v?.*"], "v2.0", True),
        (["release-*"], "release", False),
    ],
)
def test_tag_globs(tags, tag, watched):
    assert Target(**BACKEND, tags=tags).watches("aiuteur-backend", tag) is watched


def test_another_repository_is_never_watched():
    assert not Target(**BACKEND).watches("aiuteur-frontend", "latest")


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"targets": [BACKEND | {"colour": "red"}]}, "colour"),
        ({"targets": [BACKEND, BACKEND]}, "twice"),
        ({"targets": [BACKEND, BACKEND | {"container": "worker"}]}, "one entry per service"),
        ({"targets": []}, "targets"),
        ({"targets": [BACKEND | {"tags": ["v[0-9]*"]}]}, "tags"),
        ({"targets": [BACKEND | {"policy": {"deadline_seconds": 5}}]}, "deadline_seconds"),
        ({"targets": [BACKEND | {"repository": "Aiuteur Backend"}]}, "repository"),
    ],
)
def test_a_bad_targets_document_names_the_problem(document, named):
    with pytest.raises(ValidationError) as raised:
        TargetsConfig.model_validate(document)

    assert named in str(raised.value)

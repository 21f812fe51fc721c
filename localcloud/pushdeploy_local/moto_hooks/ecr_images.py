"""Hook: ECR's images as AWS documents them: one image per digest with every tag it carries, tags that move,
and lifecycle policies that expire images on the virtual clock.

AWS (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html, API_PutImage.html,
API_BatchGetImage.html): an image is its manifest's digest, the sha256 of the manifest's bytes. PutImage of a
manifest the repository holds under a new tag adds the tag to that image (same digest, same push time:
re-tagging does not push again, https://github.com/aws/containers-roadmap/issues/2746); a tag already on
another image leaves it (that image keeps its other tags, or is untagged), except in an IMMUTABLE repository,
which refuses with ImageTagAlreadyExistsException; the same manifest under a tag it already carries is
ImageAlreadyExistsException; an `imageDigest` that is not the manifest's is ImageDigestDoesNotMatchException.
BatchGetImage answers each requested id with that id (and its digest), or a failure naming it.

moto 5.2.5 differs: without `imageDigest` it digests the layers' digests (every manifest without layers gets
sha256 of nothing), it finds an existing image by manifest text and trusts any `imageDigest` (so one digest
could be two image records, and a tag moved onto an image it named already read as "no longer names"), an
IMMUTABLE repository answers ImageAlreadyExistsException, and BatchGetImage names each image by its last tag
and each failure by a tag "null". It stores a lifecycle policy and never applies it.

Lifecycle policies (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html,
lifecycle_policy_parameters.html, lifecycle_policy_examples.html): rules in `rulePriority` order; each selects
by tag status (and every prefix or pattern of its list matched by one of the image's tags) and counts images
newest first by push time; an image that matched the tag selection of a rule is never expired by a rule of
lower priority, though that rule still counts it; `any` comes last; one rule at most selects untagged images.
AWS expires "within 24 hours" of a change and gives no earlier bound. Modelling choice: the local cloud
applies the policy at each ECR call, so an image expires the moment a rule selects it (the earliest AWS
may), on the virtual clock; an expired image is gone from DescribeImages, ListImages and BatchGetImage.
The local cloud models the `expire` action with `imageCountMoreThan` and `sinceImagePushed` only.

On a moto upgrade, check `ECRBackend.put_image`, `batch_get_image`, `describe_images`, `list_images`,
`batch_delete_image` and `put_lifecycle_policy` keep their signatures, that `Repository.images` is still the
list of `Image` records and `Image.image_pushed_at` the push time in epoch seconds.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.core.exceptions import ServiceException
from moto.ecr.exceptions import ImageAlreadyExistsException, InvalidParameterException
from moto.ecr.models import ECRBackend, Image, Repository
from moto.ecr.policy_validation import EcrLifecyclePolicyValidator

DAY_SECONDS = 86400
MAX_WILDCARDS = 4  # per tagPatternList string (lifecycle_policy_parameters.html)

OnGone = Callable[[str], None]  # an image's digest, once it left the repository

# Manifests the local cloud stands in for an image whose manifest it never saw (an event naming a digest):
# the digest each one is, instead of its bytes' sha256.
_STAND_INS: dict[str, str] = {}


class ImageTagAlreadyExistsException(ServiceException):
    code = "ImageTagAlreadyExistsException"


class ImageDigestDoesNotMatchException(ServiceException):
    code = "ImageDigestDoesNotMatchException"


def digest_of(manifest: str) -> str:
    """The registry's digest of a manifest: the sha256 of its bytes."""
    return _STAND_INS.get(manifest) or "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()


def stand_in(digest: str, media_type: str) -> str:
    """A manifest that is the image `digest` names (for an event that names a digest no push made)."""
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": media_type, "config": {}, "layers": [], "stands_in": digest}
    )
    _STAND_INS[manifest] = digest
    return manifest


@dataclass(frozen=True)
class Rule:
    priority: int
    tag_status: str  # tagged | untagged | any
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...]
    count_type: str  # imageCountMoreThan | sinceImagePushed
    count: int

    def selects(self, image: Image) -> bool:
        tags = image.image_tags
        if self.tag_status == "untagged":
            return not tags
        if self.tag_status == "any":
            return True
        return bool(tags) and (
            all(any(t.startswith(p) for t in tags) for p in self.prefixes)
            and all(any(fnmatch.fnmatchcase(t, p) for t in tags) for p in self.patterns)
        )

    def marks(self, selected: list[Image], now: float) -> list[Image]:
        """What the rule would expire of the images it selects (newest first)."""
        if self.count_type == "imageCountMoreThan":
            return selected[self.count :]
        return [i for i in selected if now - i.image_pushed_at > self.count * DAY_SECONDS]


def parse_policy(text: str) -> list[Rule]:
    """The rules of a lifecycle policy moto's schema check accepted, checked against AWS's rules across them."""
    rules = []
    for raw in json.loads(text)["rules"]:
        selection = raw["selection"]
        rule = Rule(
            priority=raw["rulePriority"],
            tag_status=selection["tagStatus"],
            prefixes=tuple(selection.get("tagPrefixList", ())),
            patterns=tuple(selection.get("tagPatternList", ())),
            count_type=selection["countType"],
            count=selection["countNumber"],
        )
        _check_rule(rule, selection)
        rules.append(rule)
    rules.sort(key=lambda r: r.priority)
    priorities = [r.priority for r in rules]
    if len(set(priorities)) != len(priorities):
        raise _invalid("each rule needs its own rulePriority")
    if any(r.tag_status == "any" for r in rules[:-1]):
        raise _invalid("a rule with tagStatus any must have the highest rulePriority")
    if sum(r.tag_status == "untagged" for r in rules) > 1:
        raise _invalid("only one rule may select untagged images")
    return rules


def _check_rule(rule: Rule, selection: dict[str, Any]) -> None:
    if rule.tag_status == "tagged" and bool(rule.prefixes) == bool(rule.patterns):
        raise _invalid("a tagged rule takes a tagPrefixList or a tagPatternList (one, not empty)")
    if rule.tag_status != "tagged" and (rule.prefixes or rule.patterns):
        raise _invalid(f"a rule with tagStatus {rule.tag_status} takes no tagPrefixList or tagPatternList")
    if (rule.count_type == "sinceImagePushed") != ("countUnit" in selection):
        raise _invalid("countUnit (days) goes with countType sinceImagePushed, and only with it")
    if any(p.count("*") > MAX_WILDCARDS for p in rule.patterns):
        raise _invalid(f"at most {MAX_WILDCARDS} wildcards (*) per tagPatternList string")


def _invalid(why: str) -> InvalidParameterException:
    return InvalidParameterException(
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
        f"'Lifecycle policy validation failure: {why}'"
    )


def expired(rules: list[Rule], images: list[Image], now: float) -> list[Image]:
    """The images the rules expire: each rule marks, oldest first, what it selects beyond its count or age,
    except images a rule of higher priority selected (lifecycle_policy_examples.html, "multiple rules")."""
    # Push times are whole seconds: of two pushed in one second, the later push (later in the list) is newer.
    order = {id(image): n for n, image in enumerate(images)}
    newest_first = sorted(images, key=lambda i: (i.image_pushed_at, order[id(i)]), reverse=True)
    seen: set[int] = set()
    found: list[Image] = []
    for rule in rules:
        selected = [i for i in newest_first if rule.selects(i)]
        found += [i for i in rule.marks(selected, now) if id(i) not in seen]
        seen.update(id(i) for i in selected)
    return found


def apply_lifecycle(repository: Repository, on_gone: OnGone) -> None:
    if not repository.lifecycle_policy:
        return
    now = datetime.now(UTC).timestamp()  # the virtual clock's, under time-machine
    for image in expired(parse_policy(repository.lifecycle_policy), repository.images, now):
        repository.images.remove(image)
        on_gone(image.image_digest)


def _holding(repository: Repository, tag: str | None) -> Image | None:
    return next((i for i in repository.images if tag is not None and tag in i.image_tags), None)


def _untag(image: Image, tag: str) -> None:
    image.image_tags.remove(tag)
    image.image_tag = image.image_tags[-1] if image.image_tags else None  # type: ignore[assignment]  # untagged


@contextlib.contextmanager
def install(on_gone: OnGone = lambda digest: None) -> Iterator[None]:
    """While active, ECR keeps one image per digest, moves tags as AWS does and applies lifecycle policies;
    `on_gone` hears of each image that leaves the repository (expired, or deleted with its last tag): no task
    can pull it any more."""
    originals = {name: getattr(ECRBackend, name) for name in ("describe_images", "list_images", "batch_delete_image")}

    def put_image(
        backend: ECRBackend,
        repository_name: str,
        image_manifest: str,
        image_tag: str | None,
        image_manifest_mediatype: str | None = None,
        digest: str | None = None,
    ) -> Image:
        repository = backend._get_repository(repository_name)
        apply_lifecycle(repository, on_gone)
        actual = digest_of(image_manifest)
        if digest and digest != actual:
            raise ImageDigestDoesNotMatchException(
                f"Invalid parameter at 'imageDigest': '{digest}' is not the manifest's digest {actual}"
            )
        media_type = image_manifest_mediatype or json.loads(image_manifest).get("mediaType")
        if not media_type:
            raise InvalidParameterException("image manifest mediatype not provided in manifest or parameter")
        image = next((i for i in repository.images if i.image_digest == actual), None)
        holder = _holding(repository, image_tag)
        if image is not None and (holder is image or image_tag is None):
            raise ImageAlreadyExistsException(repository_name, repository.registry_id, actual, str(image_tag))
        if holder is not None and image_tag is not None:
            if repository.is_tag_immutable():
                raise ImageTagAlreadyExistsException(
                    f"The image tag '{image_tag}' already exists in the '{repository_name}' repository "
                    "and cannot be overwritten because the repository is immutable."
                )
            _untag(holder, image_tag)
        if image is None:
            image = Image(backend.account_id, image_tag, image_manifest, repository_name, media_type, actual)  # type: ignore[arg-type]
            repository.images.append(image)
        elif image_tag is not None:
            image.update_tag(image_tag)
        return image

    def batch_get_image(
        backend: ECRBackend,
        repository_name: str,
        registry_id: str | None = None,
        image_ids: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        repository = backend._get_repository(repository_name, registry_id)
        apply_lifecycle(repository, on_gone)
        answer: dict[str, Any] = {"images": [], "failures": []}
        for image_id in image_ids or []:
            tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
            by_tag = _holding(repository, tag)
            by_digest = next((i for i in repository.images if i.image_digest == digest), None)
            image = by_tag if tag is not None else by_digest
            if tag is not None and digest is not None and image is not None and image is not by_digest:
                failure = ("ImageTagDoesNotMatchDigest", "Invalid request parameters: image tag does not match digest")
            elif image is None:
                failure = ("ImageNotFound", "Requested image not found")
            else:
                answer["images"].append(
                    {
                        "registryId": repository.registry_id,
                        "repositoryName": repository_name,
                        "imageId": {**image_id, "imageDigest": image.image_digest},
                        "imageManifest": image.image_manifest,
                        "imageManifestMediaType": image.image_manifest_media_type,
                    }
                )
                continue
            answer["failures"].append({"imageId": image_id, "failureCode": failure[0], "failureReason": failure[1]})
        return answer

    def applying(name: str) -> Any:
        def read(backend: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Any:
            repository = backend.repositories.get(repository_name)
            if repository is None:  # moto's own answer says so
                return originals[name](backend, repository_name, *args, **kwargs)
            apply_lifecycle(repository, on_gone)
            before = {i.image_digest for i in repository.images}
            answer = originals[name](backend, repository_name, *args, **kwargs)
            for digest in before - {i.image_digest for i in repository.images}:
                on_gone(digest)  # deleted with its last tag (BatchDeleteImage)
            return answer

        return read

    original_put_policy = ECRBackend.put_lifecycle_policy

    def put_lifecycle_policy(
        backend: ECRBackend, registry_id: str, repository_name: str, lifecycle_policy_text: str
    ) -> dict[str, Any]:
        EcrLifecyclePolicyValidator(lifecycle_policy_text).validate()  # moto's check of each rule's schema
        parse_policy(lifecycle_policy_text)  # AWS's rules across rules, before anything is stored
        return original_put_policy(backend, registry_id, repository_name, lifecycle_policy_text)

    with contextlib.ExitStack() as stack:
        for name, replacement in (
            ("put_image", put_image),
            ("batch_get_image", batch_get_image),
            ("put_lifecycle_policy", put_lifecycle_policy),
            *((name, applying(name)) for name in originals),
        ):
            stack.enter_context(mock.patch.object(ECRBackend, name, replacement))
        yield

"""Exceptions named for the state machine's contract.

The Lambda runtime reports an unhandled exception's class name as the error name, so the names here
are the names the ASL's Retry and Catch blocks match (a test checks that every name there exists here).
"""


class PushdeployError(Exception):
    """Base class: every error pushdeploy raises on purpose."""


class InvalidRequest(PushdeployError):
    """The event, console input or targets configuration cannot be valid. Terminal: nothing was changed."""


class Throttled(PushdeployError):
    """AWS kept throttling after the SDK's adaptive retries. Retryable: the ASL backs off and tries again."""


class LockBusy(PushdeployError):
    """Another execution is deploying this service. Retryable: the ASL waits and tries again."""


class LockWaitExpired(PushdeployError):
    """The service stayed busy past the lock wait. Terminal: this push is not deployed, nothing was changed."""


class StepFailed(PushdeployError):
    """An AWS call of a step failed for a reason a retry will not cure. Terminal: the ASL rolls back."""


class ApprovalAborted(PushdeployError):
    """A person aborted a deployment that waited for approval (`pushdeploy abort`): the error its task token is
    failed with. Terminal: nothing was deployed."""


class LockLost(PushdeployError):
    """The execution no longer holds the service's lock (another recovered it). Terminal: nothing is changed."""

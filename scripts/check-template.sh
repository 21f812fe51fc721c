#!/usr/bin/env bash
# Offline checks of the SAM application (template.yaml + statemachine/deploy.asl.json):
#   1. sam validate --lint     2. cfn-lint, in both DeploymentStrategy modes     3. statelint on the ASL
#   4. sam build (Python 3.12 on PATH: the Lambda runtime)     5. checkov
# Every tool is pinned and installed into its own virtual environment under $PUSHDEPLOY_TOOLS_DIR
# (default /tmp/pushdeploy-tools); an installed one is reused, so a second run installs nothing.
# All five checks run (side by side) even when one fails; the exit status is non-zero if any failed.
#
#   bash scripts/check-template.sh             run the checks
#   bash scripts/check-template.sh --sam-path  install SAM CLI if needed and print its path (for make build/deploy)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${PUSHDEPLOY_TOOLS_DIR:-/tmp/pushdeploy-tools}"

# Pins. aws-sam-cli 1.170.0 requires cfn-lint >=1.52,<1.59 and brings aws-sam-translator 1.115.0; cfn-lint
# is pinned beside it so that `sam validate --lint` and `cfn-lint` are the same linter.
SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
# statelint: the PyPI port (taro-kayo/statelint) of awslabs/statelint. The original is a Ruby gem and
# rubygems is not reachable here; Debian packages neither it nor its j2119 dependency. The port keeps
# the same rules and messages and knows the newer ASL fields (JitterStrategy, MaxDelaySeconds, ItemProcessor).
STATELINT_VERSION=3.1.0
# checkov pins an old boto3, hence its own venv.
CHECKOV_VERSION=3.3.30

export SAM_CLI_TELEMETRY=0         # no network call home from sam
export AWS_DEFAULT_REGION=us-east-1 # sam build/validate read a region; nothing here talks to AWS

log() { printf '\n==> %s\n' "$*" >&2; }

# The Lambda runtime's Python: sam build refuses to build python3.12 functions without python3.12 on PATH.
find_python312() {
    local candidate pyenv_newest
    pyenv_newest="$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path '*/3.12.*/bin/python3.12' 2>/dev/null |
        sort -V | tail -n 1)"
    for candidate in "${PYTHON312:-}" "$pyenv_newest" /usr/bin/python3.12 /usr/local/bin/python3.12 \
        "$(command -v python3.12 || true)"; do
        if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then
            continue
        fi
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "check-template: no Python 3.12 found (set PYTHON312=/path/to/python3.12)" >&2
    return 1
}

PY312="$(find_python312)"

# install_venv NAME PACKAGE...: a venv at $TOOLS/NAME holding exactly these pins. The stamp is written
# last, so an interrupted install is redone; the lock keeps parallel runs (make -j) from racing.
install_venv() {
    local name="$1"
    shift
    local dir="$TOOLS/$name" want="$PY312 $*"
    if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$want" ]; then
        return 0
    fi
    mkdir -p "$TOOLS"
    (
        flock 9
        if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$want" ]; then
            exit 0
        fi
        log "installing $* into $dir"
        rm -rf "$dir"
        "$PY312" -m venv "$dir"
        "$dir/bin/pip" install -qq --disable-pip-version-check "$@"
        echo "$want" >"$dir/.installed"
    ) 9>"$TOOLS/.lock-$name"
}

SAM_VENV="$TOOLS/sam-cli-$SAM_CLI_VERSION"
STATELINT_VENV="$TOOLS/statelint-$STATELINT_VERSION"
CHECKOV_VENV="$TOOLS/checkov-$CHECKOV_VERSION"

install_sam() { install_venv "sam-cli-$SAM_CLI_VERSION" "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION"; }

if [ "${1:-}" = "--sam-path" ]; then
    install_sam >&2
    echo "$SAM_VENV/bin/sam"
    exit 0
fi

# The three venvs install side by side (on a fresh machine: about a minute each, mostly downloads).
install_sam &
sam_install=$!
install_venv "statelint-$STATELINT_VERSION" "statelint==$STATELINT_VERSION" &
statelint_install=$!
install_venv "checkov-$CHECKOV_VERSION" "checkov==$CHECKOV_VERSION"
wait "$sam_install"
wait "$statelint_install"

cd "$REPO"
failed=()

# The checks are independent and mostly wait on start-up and I/O, so they run side by side: each in the
# background with its output kept in its own log, then reported one after the other in this order.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
names=()
pids=()
run() {
    local name="$1"
    shift
    names+=("$name")
    "$@" >"$logs/${#names[@]}.log" 2>&1 &
    pids+=($!)
}

run "sam validate --lint" "$SAM_VENV/bin/sam" validate --lint --region us-east-1 --template template.yaml

run "cfn-lint" "$SAM_VENV/bin/cfn-lint" template.yaml

# The template's other mode: DeploymentStrategy=BLUE_GREEN with the base infrastructure (its blue/green
# service, listener rules, hook and roles), linted with those parameter values resolved.
run "cfn-lint (DeploymentStrategy=BLUE_GREEN)" "$SAM_VENV/bin/cfn-lint" template.yaml --parameters \
    DeploymentStrategy=BLUE_GREEN VpcId=vpc-0123456789abcdef0 SubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210

# Ignores the ASL needs, and only those:
#   URI  Every Task's Resource is a DefinitionSubstitutions placeholder ("${PlanFunctionArn}", ...) that
#        CloudFormation replaces with the function's ARN at deploy time; statelint sees the placeholder,
#        not a URI. tests/template checks that every placeholder has a substitution and vice versa.
run "statelint" "$STATELINT_VENV/bin/statelint" --ignore=URI statemachine/deploy.asl.json

run "sam build" env PATH="$(dirname "$PY312"):$PATH" "$SAM_VENV/bin/sam" build --template template.yaml

# Skipped for every function (the same reason holds for each); resource-specific skips are in the
# template, next to the resource, under Metadata.checkov.skip with a comment.
checkov_skips=(
    # Reserved concurrency: a reservation is taken from the account's pool, and a new account's pool of
    # 10 cannot give any (the deploy fails). Concurrency is already bounded by the state machine's Map
    # (MaxConcurrency 10) and the per-service lock.
    CKV_AWS_115
    # VPC: the functions call only AWS APIs; inside a VPC they would need a NAT gateway or seven
    # interface endpoints (a monthly cost) and would reach nothing more.
    CKV_AWS_117
    # Environment encryption with a customer managed key: the variables are ARNs, names and flags, no
    # secret; Lambda already encrypts them at rest with an AWS managed key.
    CKV_AWS_173
)
run "checkov" "$CHECKOV_VENV/bin/checkov" --file template.yaml --framework cloudformation \
    --quiet --compact --skip-download --skip-check "$(
        IFS=,
        echo "${checkov_skips[*]}"
    )"

for i in "${!names[@]}"; do
    log "${names[$i]}"
    status=0
    wait "${pids[$i]}" || status=$?
    cat "$logs/$((i + 1)).log" >&2
    if [ "$status" -eq 0 ]; then
        echo "ok: ${names[$i]}" >&2
    else
        echo "FAILED: ${names[$i]}" >&2
        failed+=("${names[$i]}")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    printf '\ncheck-template: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\ncheck-template: all %s checks passed\n' "${#names[@]}" >&2

#!/usr/bin/env bash
# Checks the deployment files: deploy/template.yaml with cfn-lint (no error, warning or
# informational finding allowed) and checkov (every check passes, or is skipped in the
# template with its reason), and deploy/compose.yaml for YAML syntax. Both tools are pinned
# and live in a venv of their own under .cache/deploy-venv.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
VENV="$CACHE/deploy-venv"

installed() { "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }

if [ ! -x "$VENV/bin/python" ]; then
  say "Making a venv for cfn-lint and checkov ($VENV)"
  python3 -m venv "$VENV"
fi
if [ "$(installed cfn-lint)" != "$CFN_LINT_VERSION" ] || [ "$(installed checkov)" != "$CHECKOV_VERSION" ]; then
  say "Installing cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION (pip)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION"
fi

TEMPLATE="$ROOT/deploy/template.yaml"

say "cfn-lint $TEMPLATE"
"$VENV/bin/cfn-lint" "$TEMPLATE"

say "checkov $TEMPLATE"
# --skip-download: the built-in checks only, nothing fetched from the vendor's platform.
"$VENV/bin/checkov" --quiet --compact --skip-download --framework cloudformation -f "$TEMPLATE"

say "YAML syntax of deploy/compose.yaml"
"$VENV/bin/python" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$ROOT/deploy/compose.yaml"

say "deploy/ is clean"

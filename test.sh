#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds and publishes, then runs the test projects one after
# the other (2 cores: they would only fight), and ends with 'N passed, N failed' from the TRX results.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

scripts/install-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./build.sh || { echo "0 passed, 1 failed"; exit 1; }

rm -rf TestResults
status=0
for project in test/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  started=$SECONDS
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory TestResults "$@" || status=1
  echo "== $name took $((SECONDS - started)) s"
done

python3 scripts/summarize-trx.py TestResults || status=1
exit $status

#!/usr/bin/env bash
# Builds everything (Release) and publishes the binaries to artifacts/bin:
#   artifacts/bin/vouch-server   the server and its admin commands
#   artifacts/bin/vouch          the CLI and agent (NativeAOT)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build Vouch.slnx -c Release -nologo -v quiet
dotnet publish src/Vouch.Server/Vouch.Server.csproj -c Release --no-build -nologo -v quiet -o artifacts/bin
# The CLI is NativeAOT: credential_process starts it for every AWS command.
dotnet publish src/Vouch.Cli/Vouch.Cli.csproj -c Release -nologo -v quiet -o artifacts/bin
rm -f artifacts/bin/*.xml artifacts/bin/*.pdb
echo "built: artifacts/bin/vouch-server artifacts/bin/vouch"

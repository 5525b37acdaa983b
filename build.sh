#!/usr/bin/env bash
# Builds everything (Release) and publishes the binaries to artifacts/bin:
#   artifacts/bin/vouch-server   the server and its admin commands
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build Vouch.slnx -c Release -nologo -v quiet
dotnet publish src/Vouch.Server/Vouch.Server.csproj -c Release --no-build -nologo -v quiet -o artifacts/bin
echo "built: artifacts/bin/vouch-server"

#!/usr/bin/env bash
# Builds everything (Release) and publishes the binaries to artifacts/bin:
#   artifacts/bin/vouch-server   the server and its admin commands
#   artifacts/bin/vouch          the CLI people and credential_process run (NativeAOT, small: src/Vouch.Client)
#   artifacts/bin/vouch-agent    the full CLI and the agent, which vouch runs for all but its hot path (NativeAOT)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build Vouch.slnx -c Release -nologo -v quiet
dotnet publish src/Vouch.Server/Vouch.Server.csproj -c Release -r linux-x64 --self-contained false -nologo -v quiet -o artifacts/bin
# The CLI is NativeAOT: credential_process starts it for every AWS command. Two executables side by side: the small
# client 'vouch' and the full program 'vouch-agent' (docs/benchmarks.md, issue 13).
dotnet publish src/Vouch.Cli.Full/Vouch.Cli.Full.csproj -c Release -nologo -v quiet -o artifacts/bin
dotnet publish src/Vouch.Client/Vouch.Client.csproj -c Release -nologo -v quiet -o artifacts/bin
rm -f artifacts/bin/*.xml artifacts/bin/*.pdb
echo "built: artifacts/bin/vouch-server artifacts/bin/vouch artifacts/bin/vouch-agent"

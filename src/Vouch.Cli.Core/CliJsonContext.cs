using System.Text.Json.Serialization;
using Vouch.Cli.Agent;
using Vouch.Cli.Commands;
using Vouch.Cli.Configuration;

namespace Vouch.Cli;

/// <summary>Source-generated JSON for the CLI's own files and messages (NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentResponse))]
[JsonSerializable(typeof(StatusView))]
[JsonSerializable(typeof(Vouch.Cli.Aws.AwsCredentials))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

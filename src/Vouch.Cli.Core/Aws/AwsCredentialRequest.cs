using Vouch.Cli.Agent;
using Vouch.Cli.Configuration;

namespace Vouch.Cli.Aws;

/// <summary>Asks the agent for credentials for a role, the way <c>credential aws</c> and <c>exec</c> both need them.</summary>
public static class AwsCredentialRequest
{
    public const int DefaultDurationSeconds = 3600;

    /// <summary>Vouch promises credentials that last at most an hour; AWS's own minimum is 15 minutes.</summary>
    public static int RequireDuration(int seconds) => seconds is >= 900 and <= 3600
        ? seconds
        : throw new CliException(FailureKind.BadConfiguration, $"--duration must be 900 to 3600 seconds, not {seconds}");

    public static async Task<AwsCredentials> GetAsync(CliPaths paths, string role, int duration, StsTarget target, CancellationToken cancellationToken) =>
        CredentialsOf(await AgentClient.RequestAsync(paths, Request(role, duration, target), cancellationToken));

    /// <summary><see cref="GetAsync"/> with blocking calls, for the hot path (<see cref="HotPath"/>).</summary>
    public static AwsCredentials Get(CliPaths paths, string role, int duration, StsTarget target) =>
        CredentialsOf(AgentClient.Request(paths, Request(role, duration, target)));

    private static AgentRequest Request(string role, int duration, StsTarget target) => new()
    {
        Op = AgentOperations.Aws, Role = role, DurationSeconds = duration, Region = target.Region, StsEndpoint = target.Endpoint,
    };

    private static AwsCredentials CredentialsOf(AgentResponse response) =>
        response.Credentials ?? throw new CliException(FailureKind.Failed, "the agent answered without credentials");
}

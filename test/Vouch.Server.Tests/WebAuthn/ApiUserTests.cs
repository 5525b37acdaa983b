using Vouch.Server.WebAuthn;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.WebAuthn;

/// <summary>
/// The fixture of the ceremony tests: a fresh in-process server (accepting any authenticator, its logs captured)
/// and Alice, who can be invited, enroll and log in through the JSON API. A fresh one per test, so that no test sees another's state.
/// </summary>
public abstract class ApiUserTests(TimeProvider? time = null) : IAsyncLifetime
{
    protected InProcessServer Server { get; private set; } = null!;
    protected ApiUser Alice { get; private set; } = null!;

    /// <summary>Every message the server logged.</summary>
    protected CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Server = await InProcessServer.StartAsync(time: time, attestation: AttestationPolicy.Any, logs: Logs);
        Alice = new ApiUser(Server);
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        await Server.DisposeAsync();
    }
}

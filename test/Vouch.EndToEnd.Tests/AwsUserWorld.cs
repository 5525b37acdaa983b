using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// For the exec --server and console tests: moto as every AWS endpoint, a Vouch server, and alice logged in with no
/// AWS credentials anywhere in her environment. Everything is stopped on dispose.
/// </summary>
public abstract class AwsUserWorld : IAsyncLifetime
{
    protected const string Role = "arn:aws:iam::123456789012:role/VouchDeveloper";
    protected const string AssumedRole = "arn:aws:sts::123456789012:assumed-role/VouchDeveloper/alice@example.com";

    protected CliSandbox User { get; } = new();
    protected MotoServer Moto { get; private set; } = null!;
    protected VouchWorld Vouch { get; private set; } = null!;

    /// <summary>Whether alice is logged in before each test.</summary>
    protected virtual bool LoggedIn => true;

    async Task IAsyncLifetime.InitializeAsync()
    {
        Moto = await MotoServer.StartAsync();
        Vouch = await VouchWorld.StartAsync();
        if (LoggedIn) await Vouch.EnrollAndLoginAsync(User, "alice@example.com");
    }

    /// <summary>Stops what a test class started itself, before the world goes.</summary>
    protected virtual Task StopAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await StopAsync();
        User.Dispose();
        await DisposeIfStartedAsync(Vouch);
        await DisposeIfStartedAsync(Moto);
    }

    private static async Task DisposeIfStartedAsync(IAsyncDisposable? started)
    {
        if (started is not null) await started.DisposeAsync();
    }

    /// <summary>alice's environment with <paramref name="extra"/> on top (a null value unsets).</summary>
    protected Dictionary<string, string?> Environment(params (string Name, string? Value)[] extra)
    {
        var environment = User.Environment();
        environment["AWS_ENDPOINT_URL"] = Moto.Endpoint;
        environment["AWS_CONFIG_FILE"] = Path.Combine(User.Home, ".aws", "config");
        environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(User.Home, ".aws", "credentials");
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                     "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "DISPLAY", "WAYLAND_DISPLAY" })
            environment[name] = null;
        foreach (var (name, value) in extra) environment[name] = value;
        return environment;
    }

    protected Task<ProcessResult> VouchAsync(string[] arguments, params (string Name, string? Value)[] extra) =>
        ProcessRunner.RunAsync(CliSandbox.Binary, arguments, Environment(extra), User.Home, TimeSpan.FromSeconds(90), standardInput: "");
}

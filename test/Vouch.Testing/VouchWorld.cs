using System.Security.Cryptography;
using Xunit;

namespace Vouch.Testing;

/// <summary>
/// A published <c>vouch-server</c> (by default with <c>--attestation any</c>, so the software authenticator enrolls)
/// in its own directory with a fresh key-encryption key, and the admin commands run on its database: invite a user,
/// enroll and log in a <see cref="CliSandbox"/> as that user. Stops the server on dispose.
/// </summary>
public sealed class VouchWorld : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory;
    private readonly Dictionary<string, string?> _environment;

    private VouchWorld(TemporaryDirectory directory, Dictionary<string, string?> environment, ServerProcess server) =>
        (_directory, _environment, Server) = (directory, environment, server);

    public ServerProcess Server { get; }
    public string Issuer => Server.Issuer;

    /// <summary>
    /// Starts the server with <paramref name="settings"/> (such as <c>VOUCH_DATABASE</c>) added to its environment, at
    /// <paramref name="address"/> when it is not to be the default <c>http://127.0.0.1:PORT</c>.
    /// </summary>
    public static async Task<VouchWorld> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyList<string>? serveArguments = null,
        ServerAddress? address = null)
    {
        var directory = new TemporaryDirectory("vouch-e2e-server-");
        var environment = new Dictionary<string, string?> { ["VOUCH_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>()) environment[name] = value;
        try
        {
            var server = await ServerProcess.StartAsync(directory.Path, serveArguments ?? ["--attestation", "any"], environment, address: address);
            return new VouchWorld(directory, environment, server);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Runs the admin command <c>vouch-server ARGUMENTS</c> on this server's database.</summary>
    public Task<ProcessResult> AdminAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, _environment, _directory.Path);

    /// <summary>Invites <paramref name="email"/> and returns the invite code.</summary>
    public async Task<string> InviteAsync(string email)
    {
        var invite = await AdminAsync("invite", "--email", email);
        Assert.True(invite.ExitCode == 0, $"vouch-server invite exited {invite.ExitCode}: {invite.StandardError}");
        return invite.StandardOutput.Trim();
    }

    /// <summary>Invites <paramref name="email"/>, then enrolls <paramref name="user"/>'s software authenticator and logs in.</summary>
    public async Task EnrollAndLoginAsync(CliSandbox user, string email)
    {
        var enroll = await user.RunAsync("enroll", "--server", Issuer, "--invite", await InviteAsync(email));
        Assert.True(enroll.ExitCode == 0, $"vouch enroll exited {enroll.ExitCode}: {enroll.StandardError}");
        var login = await user.RunAsync("login");
        Assert.True(login.ExitCode == 0, $"vouch login exited {login.ExitCode}: {login.StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _directory.Dispose();
    }
}

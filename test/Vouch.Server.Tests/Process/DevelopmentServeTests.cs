using System.Net;
using System.Net.Sockets;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Process;

/// <summary>The published server under <c>serve --development</c>: what its banner suggests works, and a failed start leaves nothing behind.</summary>
public sealed class DevelopmentServeTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_invite_command_the_banner_prints_yields_a_link_to_this_server_on_any_port()
    {
        var database = _directory.File("v.db");
        await using var server = await ServerProcess.StartAsync(_directory.Path, ["--development", "--database", database]);
        // The banner follows the first answer to /healthz by a moment.
        for (var i = 0; i < 100 && !server.Output.Contains(" invite --email ", StringComparison.Ordinal); i++) await Task.Delay(100);
        var line = server.Output.Split('\n').Single(l => l.Contains(" invite --email ", StringComparison.Ordinal));
        // The banner names the binary as it was started; run the same arguments with the published path.
        var arguments = line[(line.IndexOf(" invite ", StringComparison.Ordinal) + 1)..].Trim().Split(' ');

        var invite = await ProcessRunner.RunAsync(RepositoryPaths.ServerBinary, arguments, workingDirectory: _directory.Path);

        Assert.True(invite.ExitCode == 0, invite.StandardError);
        Assert.Contains($"Enroll in a browser: {server.Issuer}/enroll#code=vi_", invite.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_development_server_whose_port_is_taken_exits_3_and_leaves_no_key_encryption_key()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var serve = await ProcessRunner.RunAsync(RepositoryPaths.ServerBinary,
            ["serve", "--development", "--issuer", $"http://127.0.0.1:{port}", "--database", _directory.File("v.db")],
            workingDirectory: _directory.Path, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(3, serve.ExitCode);
        Assert.Contains("already in use", serve.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_directory.Path));
    }
}

using System.Globalization;

namespace Vouch.Testing;

/// <summary>A real moto server (IAM, STS, S3 wire formats) on a free loopback port, stopped by its PID on dispose.</summary>
public sealed class MotoServer : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory;

    private MotoServer(TemporaryDirectory directory, int port) => (_directory, Endpoint) = (directory, $"http://127.0.0.1:{port}");

    public string Endpoint { get; }

    public static async Task<MotoServer> StartAsync()
    {
        var directory = new TemporaryDirectory("vouch-moto-");
        var port = FreePort.Next();
        var result = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepositoryPaths.PeersDirectory, "moto", "start-moto.sh"), directory.Path, port.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            directory.Dispose();
            throw new InvalidOperationException($"moto did not start: {result.StandardError}");
        }
        return new MotoServer(directory, port);
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.PeersDirectory, "moto", "stop-moto.sh"), _directory.Path]);
        _directory.Dispose();
    }
}

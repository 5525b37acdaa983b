using System.Diagnostics;
using System.Text;

namespace Vouch.Testing;

/// <summary>
/// The published <c>vouch-server serve</c> running as its own process on a free loopback port; ready once
/// <c>/healthz</c> answers 200; stopped with SIGTERM (by its PID) on dispose.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ServerProcess(Process process, string issuer)
    {
        _process = process;
        Issuer = issuer;
        process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public string Issuer { get; }
    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public static async Task<ServerProcess> StartAsync(string workingDirectory, IReadOnlyList<string> extraArguments,
        IDictionary<string, string?>? environment = null, int? port = null, ServerAddress? address = null)
    {
        var issuer = address?.Issuer ?? $"http://127.0.0.1:{port ?? FreePort.Next()}";
        string[] where = address?.Listen is { } listen ? ["--issuer", issuer, "--listen", listen] : ["--issuer", issuer];
        var process = ProcessRunner.Start(RepositoryPaths.ServerBinary, ["serve", .. where, .. extraArguments], environment, workingDirectory);
        var server = new ServerProcess(process, issuer);
        var health = (address?.Listen ?? issuer) + "/healthz";
        using var client = address?.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        client.Timeout = TimeSpan.FromSeconds(2);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"vouch-server exited with {process.ExitCode}:\n{server.Output}");
            try
            {
                using var response = await client.GetAsync(health);
                if (response.IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"vouch-server did not become healthy in 60 s:\n{server.Output}");
    }

    /// <summary>kill -9: the server stops at once, mid-request, with no chance to clean up (crash tests).</summary>
    public void Kill() => _process.Kill();

    /// <summary>Stops the server with SIGTERM and waits for it to exit (SIGKILL after 20 s).</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Terminate(_process.Id);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}

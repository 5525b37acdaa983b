using System.Diagnostics;
using System.Globalization;

namespace Vouch.Testing;

/// <summary>
/// Debian's nginx running a production site config, <c>deploy/nginx/vouch.conf</c> or <c>vouch-cluster.conf</c> (only ports and paths changed,
/// by <c>test/peers/nginx/start-nginx.sh</c>): TLS with a <see cref="TestPki"/> leaf on <c>https://localhost:PORT</c>,
/// proxying to vouch-server backends on loopback. Started before it is returned (or it throws with nginx's own
/// words); stopped by its master's PID on dispose.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory;

    private Nginx(TemporaryDirectory directory, int port, int httpPort, int pid) =>
        (_directory, Port, HttpPort, Pid) = (directory, port, httpPort, pid);

    /// <summary>The https port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The plain http port on 127.0.0.1 (ACME challenges and the redirect to https).</summary>
    public int HttpPort { get; }

    public int Pid { get; }

    /// <summary>The public URL, as the issuer of a server behind this proxy: <c>https://localhost:PORT</c>.</summary>
    public string Url => $"https://localhost:{Port}";

    /// <summary>nginx's access log so far (the site's <c>access_log</c>).</summary>
    public string AccessLog => ReadLog("access.log");

    /// <summary>nginx's error log so far, for failure messages.</summary>
    public string ErrorLog => ReadLog("error.log");

    /// <summary>Starts nginx in front of <paramref name="backendPorts"/> with <paramref name="pki"/>'s leaf.</summary>
    public static Task<Nginx> StartAsync(TestPki pki, params int[] backendPorts) => StartAsync(pki, "vouch.conf", backendPorts);

    /// <summary>
    /// Starts nginx with <c>deploy/nginx/vouch-cluster.conf</c> (round robin, passive failover) in front of three
    /// instances on the ports <paramref name="first"/>, <paramref name="second"/> and <paramref name="third"/>.
    /// </summary>
    public static Task<Nginx> StartClusterAsync(TestPki pki, int first, int second, int third) => StartAsync(pki, "vouch-cluster.conf", first, second, third);

    private static async Task<Nginx> StartAsync(TestPki pki, string site, params int[] backendPorts)
    {
        var directory = new TemporaryDirectory("vouch-nginx-");
        var port = FreePort.Next();
        var httpPort = FreePort.Next();
        var start = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepositoryPaths.PeersDirectory, "nginx", "start-nginx.sh"), directory.Path,
             port.ToString(CultureInfo.InvariantCulture), httpPort.ToString(CultureInfo.InvariantCulture), pki.Directory,
             .. backendPorts.Select(p => p.ToString(CultureInfo.InvariantCulture))],
            new Dictionary<string, string?> { ["SITE"] = site }, timeout: TimeSpan.FromSeconds(30));
        var pidFile = directory.File("nginx.pid");
        if (start.ExitCode != 0 || !File.Exists(pidFile))
        {
            directory.Dispose();
            throw new InvalidOperationException($"nginx did not start (exit {start.ExitCode}; scripts/install-test-deps.sh installs it):\n{start.StandardOutput}{start.StandardError}");
        }
        return new Nginx(directory, port, httpPort, int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
    }

    private string ReadLog(string name)
    {
        var path = _directory.File(name);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    /// <summary>Stops nginx (SIGTERM: fast shutdown) and waits for its master to be gone; SIGKILL after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        ProcessRunner.Terminate(Pid);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (IsRunning(Pid) && DateTime.UtcNow < deadline) await Task.Delay(50);
        if (IsRunning(Pid))
        {
            using var stuck = Process.GetProcessById(Pid);
            stuck.Kill(entireProcessTree: true);
        }
        _directory.Dispose();
    }

    /// <summary>Whether <paramref name="pid"/> is a live process (not gone, not a zombie waiting for its parent).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "PID (comm) STATE ...": comm may hold spaces, the state follows the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}

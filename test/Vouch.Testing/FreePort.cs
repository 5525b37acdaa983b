using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Vouch.Testing;

/// <summary>
/// Hands out TCP ports on 127.0.0.1 that no other test can be given. Binding port 0 and releasing it races: the
/// kernel gives the same ephemeral port to the next port-0 bind or outgoing connection. So ports come from outside
/// the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>, 1024-65535 otherwise), which it
/// never assigns by itself; a port is handed out once per process; a lock file held for the life of the process
/// (<c>/tmp/vouch-test-ports/PORT</c>) keeps other test processes off it; it must bind on 127.0.0.1 right now; and
/// browsers must be willing to open it.
/// </summary>
public static class FreePort
{
    private const int Lowest = 1024;
    private const int Highest = 65535;
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "vouch-test-ports");
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    // Open until the process exits: the kernel drops the locks then, even after a crash.
    private static readonly List<FileStream> Held = [];
    // The Fetch standard's "bad ports" above 1023: Chromium refuses to load a page from them (ERR_UNSAFE_PORT), which
    // failed a browser test that happened to draw 3659. Declared before Candidates, which reads it.
    private static readonly HashSet<int> BrowserBlocked = [1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080];
    private static readonly int[] Candidates = OutsideEphemeralRange();

    public static int Next()
    {
        lock (Gate)
        {
            var start = Random.Shared.Next(Candidates.Length);
            for (var i = 0; i < Candidates.Length; i++)
            {
                var port = Candidates[(start + i) % Candidates.Length];
                if (Given.Contains(port) || TryLock(port) is not { } held) continue;
                if (!Bindable(port))
                {
                    held.Dispose();
                    continue;
                }
                Given.Add(port);
                Held.Add(held);
                return port;
            }
        }
        throw new InvalidOperationException($"no free TCP port on 127.0.0.1 outside the ephemeral range ({Candidates.Length} candidates)");
    }

    private static int[] OutsideEphemeralRange()
    {
        var (low, high) = EphemeralRange();
        var ports = Enumerable.Range(Lowest, Highest - Lowest + 1).Where(p => (p < low || p > high) && !BrowserBlocked.Contains(p)).ToArray();
        if (ports.Length == 0)
            throw new InvalidOperationException($"the ephemeral port range {low}-{high} leaves no port for tests: narrow net.ipv4.ip_local_port_range");
        return ports;
    }

    private static (int Low, int High) EphemeralRange()
    {
        const string path = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(path)) return (Lowest, Highest);
        var parts = File.ReadAllText(path).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>An exclusive lock on the port's file, or null when another process holds it.</summary>
    private static FileStream? TryLock(int port)
    {
        Directory.CreateDirectory(LockDirectory);
        try
        {
            // On Unix, FileShare.None takes a non-blocking exclusive flock(2).
            return new FileStream(Path.Combine(LockDirectory, port.ToString(CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            // Another user's lock file.
            return null;
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

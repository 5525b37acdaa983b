using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Vouch.Authenticators.Software;
using Vouch.Protocol;

namespace Vouch.Benchmarks.Load;

/// <summary>
/// <c>sessions --server URL --invites FILE --logins N --out FILE [--warm-up W] [--server-pid PID]</c>: enrolls a
/// software key with each invite code in FILE (one a line), logs each user in W times to warm the server up (JIT
/// tiering, pools; default N/2 of the N), then N - W times measured (users in parallel, each user's logins one after
/// another so that the sign counter only grows), writes every session token to the out file (0600, one a line) for
/// wrk, and prints, over the measured logins, the logins per second and, with the server's PID, the server CPU time
/// per login (options + assertion check + session and audit write) from /proc.
/// </summary>
public static class SessionSetup
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"sessions: {name} is required");
        var server = new Uri(Arg("--server"));
        var codes = File.ReadAllLines(Arg("--invites")).Where(l => l.Length > 0).ToList();
        var logins = int.Parse(Arg("--logins"), CultureInfo.InvariantCulture);
        var output = Arg("--out");
        int? pid = args.Contains("--server-pid") ? int.Parse(Arg("--server-pid"), CultureInfo.InvariantCulture) : null;
        var origin = server.GetLeftPart(UriPartial.Authority);

        using var http = new HttpClient { BaseAddress = server };
        var keys = new List<SoftwareCredential>();
        foreach (var code in codes)
        {
            var key = new SoftwareCredential();
            var started = await PostAsync(http, ApiRoutes.EnrollOptions, new { invite = code });
            var credential = key.MakeCredential(started.GetProperty("options"), origin);
            await PostAsync(http, ApiRoutes.Enroll, new { ceremony = started.GetProperty("ceremony").GetString(), credential });
            keys.Add(key);
        }
        var emails = codes.Select((_, i) => $"bench{i}@example.com").ToList();

        // Two rounds: the first warms the server up (JIT, pools), the second is measured.
        var sessions = new List<string>();
        var warmUp = args.Contains("--warm-up") ? int.Parse(Arg("--warm-up"), CultureInfo.InvariantCulture) : logins / 2;
        if (warmUp < 0 || warmUp >= logins) throw new ArgumentException("sessions: --warm-up must be at least 0 and less than --logins");
        sessions.AddRange(await LoginRoundAsync(http, keys, emails, origin, warmUp));
        var cpuBefore = pid is { } p ? CpuSeconds(p) : 0;
        var clock = Stopwatch.StartNew();
        sessions.AddRange(await LoginRoundAsync(http, keys, emails, origin, logins - warmUp));
        var elapsed = clock.Elapsed.TotalSeconds;
        var measured = keys.Count * (logins - warmUp);
        File.WriteAllLines(output, sessions);
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"logins {measured} (after {keys.Count * warmUp} to warm up) in {elapsed:F2} s: {measured / elapsed:F0} logins/s ({keys.Count} users in parallel)"));
        if (pid is { } serverPid)
        {
            var cpu = CpuSeconds(serverPid) - cpuBefore;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"login server CPU: {cpu * 1000 / measured:F2} ms per login ({cpu:F2} s for {measured} logins, options + assertion check + session write)"));
        }
        foreach (var key in keys) key.Dispose();
        return 0;
    }

    /// <summary>Each user logs in <paramref name="count"/> times, one login after another; users in parallel.</summary>
    private static async Task<IEnumerable<string>> LoginRoundAsync(HttpClient http, List<SoftwareCredential> keys, List<string> emails, string origin, int count)
    {
        var rounds = await Task.WhenAll(keys.Select(async (key, i) =>
        {
            var mine = new List<string>();
            for (var n = 0; n < count; n++)
            {
                var started = await PostAsync(http, ApiRoutes.LoginOptions, new { email = emails[i] });
                var assertion = key.GetAssertion(started.GetProperty("options"), origin);
                var body = await PostAsync(http, ApiRoutes.Login, new { ceremony = started.GetProperty("ceremony").GetString(), assertion });
                mine.Add(body.GetProperty("session").GetString()!);
            }
            return mine;
        }));
        return rounds.SelectMany(r => r);
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string route, object body)
    {
        using var response = await http.PostAsJsonAsync(route.TrimStart('/'), body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{route}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>User + system CPU seconds of process <paramref name="pid"/> (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}

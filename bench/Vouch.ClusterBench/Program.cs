using System.Diagnostics;
using System.Globalization;
using System.Net;
using Vouch.Testing;

// Logins and token requests per second against 1, 2 and 3 vouch-server instances on one PostgreSQL (VouchCluster:
// the published server, a private PostgreSQL 15, nginx with deploy/nginx/vouch-cluster.conf). Each client logs in
// (a whole WebAuthn ceremony: options, then the signed assertion) or asks for tokens with its session, as fast as it
// can, against the first N instances in turn (client-side round robin), then once through nginx with all three.
// Usage: dotnet run -c Release --project bench/Vouch.ClusterBench -- [CLIENTS] [SECONDS]   (bench/instances.sh)
var clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 16;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var duration = TimeSpan.FromSeconds(seconds);

await using var cluster = new VouchCluster();
await cluster.InitializeAsync();
var people = await cluster.PeopleAsync(clients);
Console.WriteLine($"# {clients} clients, {seconds} s a run; load before: {Load()}");
Console.WriteLine("| instances | via | logins/s | login p50 ms | login p99 ms | tokens/s | token p50 ms | token p99 ms | errors |");
Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var (instances, edge) in new[] { (1, false), (2, false), (3, false), (3, true) })
{
    string Target(int client) => edge ? cluster.Issuer : cluster.InstanceUrl(client % instances);
    var logins = await RunAsync(people.Count, duration, async client =>
    {
        var answer = await cluster.LoginAsync(people[client], Target(client), Target(client));
        return answer.Status;
    });
    var sessions = new List<string>();
    foreach (var person in people) sessions.Add(await cluster.SessionAsync(person));
    var tokens = await RunAsync(people.Count, duration, async client => (await cluster.TokenAsync(Target(client), sessions[client])).Status);
    Console.WriteLine($"| {instances} | {(edge ? "nginx" : "direct")} | {logins.PerSecond:F0} | {logins.P50:F1} | {logins.P99:F1} | " +
                      $"{tokens.PerSecond:F0} | {tokens.P50:F1} | {tokens.P99:F1} | {logins.Errors + tokens.Errors} |");
}
Console.WriteLine($"# load after: {Load()}");
await cluster.AssertAuditChainVerifiesAsync();
Console.WriteLine("# audit chain verifies");

static async Task<Result> RunAsync(int clients, TimeSpan duration, Func<int, Task<HttpStatusCode>> request)
{
    var latencies = new List<double>[clients];
    var errors = 0;
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        latencies[client] = [];
        while (wall.Elapsed < duration)
        {
            var clock = Stopwatch.StartNew();
            var status = await request(client);
            if (status == HttpStatusCode.OK) latencies[client].Add(clock.Elapsed.TotalMilliseconds);
            else Interlocked.Increment(ref errors);
        }
    })));
    var all = latencies.SelectMany(l => l).ToList();
    return new Result(all.Count / wall.Elapsed.TotalSeconds, VouchCluster.Percentile(all, 50), VouchCluster.Percentile(all, 99), errors);
}

static string Load() => File.ReadAllText("/proc/loadavg").Trim();

internal sealed record Result(double PerSecond, double P50, double P99, int Errors);

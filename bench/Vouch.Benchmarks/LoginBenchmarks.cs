using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Fido2NetLib;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vouch.Authenticators.Software;
using Vouch.Protocol;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;

namespace Vouch.Benchmarks;

/// <summary>
/// A login on the server, in process, with a real software key (<see cref="SoftwareCredential"/>) enrolled through
/// <see cref="EnrollmentService"/> on SQLite: the assertion check alone (parse and verify, what
/// <see cref="LoginService"/> runs), the login options (a stored ceremony), and the whole finish (ceremony claimed,
/// assertion checked, counter moved, session and its audit record committed). Each finish needs a fresh ceremony
/// and a fresh signature, made before the iteration starts (<see cref="Logins"/> per iteration).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Logins)]
public class LoginBenchmarks
{
    private const int Logins = 256;
    private const string Issuer = "https://vouch.example.com";

    private string _directory = null!;
    private ServiceProvider _services = null!;
    private LoginService _login = null!;
    private SoftwareCredential _key = null!;
    private JsonElement _assertion;
    private string _options = null!;
    private CredentialRecord _credential = null!;
    private readonly Queue<LoginRequest> _ready = new();

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("vouch-bench-").FullName;
        var kek = KeyEncryptionKey.Generate();
        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddVouchPersistence(DatabaseSettings.Parse(Path.Combine(_directory, "vouch.db")))
            .AddVouchAudit(kek)
            .AddVouchUsers()
            .AddVouchSessions(new SessionLimits())
            .AddVouchWebAuthn(WebAuthnOptions.ForIssuer(Issuer, AttestationPolicy.Any));
        _services = services.BuildServiceProvider();
        Run(_services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None));

        // One user, one key, enrolled the way the CLI does it.
        var email = EmailAddress.TryParse("alice@example.com")!;
        var invite = Run(_services.GetRequiredService<InviteService>().CreateAsync(email, "example.com", TimeSpan.FromHours(1), AuditActors.System, CancellationToken.None));
        var enrollment = _services.GetRequiredService<EnrollmentService>();
        var started = Run(enrollment.BeginAsync(invite.Code, null, CancellationToken.None)).Value!;
        _key = new SoftwareCredential();
        var credential = JsonSerializer.SerializeToElement(_key.MakeCredential(started.Options, Issuer));
        var enrolled = Run(enrollment.FinishAsync(new EnrollRequest(started.Ceremony, credential), null, CancellationToken.None));
        if (!enrolled.Succeeded) throw new InvalidOperationException($"enrollment failed: {enrolled.Problem.Code}");
        _login = _services.GetRequiredService<LoginService>();

        // The assertion check alone verifies one assertion again and again (the counter is not its concern).
        using (var db = _services.GetRequiredService<VouchDbContextFactory>().CreateDbContext())
            _credential = db.Credentials.Single();
        var options = Run(_login.BeginAsync(CancellationToken.None)).Value!;
        _options = options.Options.GetRawText();
        _assertion = JsonSerializer.SerializeToElement(_key.GetAssertion(options.Options, Issuer));
        if (VerifyAssertion().SignCount == 0) throw new InvalidOperationException("the software key signs with a counter");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The server's check of one assertion: parse the client's JSON, then Fido2's verification with the stored key.</summary>
    [Benchmark]
    public Fido2NetLib.Objects.VerifyAssertionResult VerifyAssertion()
    {
        var response = LoginService.ParseAssertion(_assertion, out var malformed) ?? throw new InvalidOperationException(malformed);
        return Run(_login.VerifyAsync(response, _options, _credential.PublicKey, _credential.UserId, CancellationToken.None));
    }

    /// <summary><c>POST /api/v1/login/options</c> without HTTP: the options and their stored ceremony.</summary>
    [Benchmark]
    public string LoginOptions() => Run(_login.BeginAsync(CancellationToken.None)).Value!.Ceremony;

    [IterationSetup(Target = nameof(FinishLogin))]
    public void PrepareLogins()
    {
        _ready.Clear();
        for (var i = 0; i < Logins; i++)
        {
            var started = Run(_login.BeginAsync(CancellationToken.None)).Value!;
            _ready.Enqueue(new LoginRequest(started.Ceremony, JsonSerializer.SerializeToElement(_key.GetAssertion(started.Options, Issuer))));
        }
    }

    /// <summary><c>POST /api/v1/login</c> without HTTP, on SQLite: everything the server does once the client answered.</summary>
    [Benchmark]
    public string FinishLogin()
    {
        var login = Run(_login.FinishForCliAsync(_ready.Dequeue(), null, CancellationToken.None));
        return login.Succeeded ? login.Value.Session : throw new InvalidOperationException($"login failed: {login.Problem.Code}");
    }

    private static T Run<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Run(Task task) => task.GetAwaiter().GetResult();
}

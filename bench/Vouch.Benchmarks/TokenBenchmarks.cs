using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Benchmarks;

/// <summary>The hot paths of the issuer: minting a token, serving the JWKS body, chaining an audit record.</summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private string _directory = null!;
    private IdTokenService _tokens = null!;
    private JwksDocument _jwks = null!;
    private AuditKey _auditKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("vouch-bench-").FullName;
        var database = DatabaseSettings.Parse(Path.Combine(_directory, "vouch.db"));
        var factory = new VouchDbContextFactory(database);
        new DatabaseMigrator(factory).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var kek = KeyEncryptionKey.Generate();
        _auditKey = new AuditKey(kek);
        var store = new KeyStore(factory, new AuditLog(factory, TimeProvider.System, _auditKey), TimeProvider.System,
            new KeyPolicy(TimeSpan.FromDays(30)), new SigningKeyFactory(kek));
        store.EnsureAsync(AuditActors.System, CancellationToken.None).GetAwaiter().GetResult();
        var provider = new KeyRingProvider(new SigningKeyReader(factory), kek, TimeProvider.System, NullLogger<KeyRingProvider>.Instance);
        provider.ReloadAsync(CancellationToken.None).GetAwaiter().GetResult();
        var options = new OidcOptions { Issuer = "https://vouch.example.com", Audience = "vouch.example.com", TokenLifetime = TimeSpan.FromMinutes(10) };
        _tokens = new IdTokenService(options, provider, TimeProvider.System);
        _jwks = new JwksDocument(provider, TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public string MintIdToken() => _tokens.Issue(new IdTokenRequest { Email = "alice@example.com" }).Value?.Token ?? throw new InvalidOperationException("no token");

    [Benchmark]
    public int JwksBody() => _jwks.Current().Body.Length;

    [Benchmark]
    public string AuditRecordHash() =>
        AuditHash.ComputeKeyed(_auditKey, 12345, DateTimeOffset.UnixEpoch, "token.issued", "user:alice@example.com", "192.0.2.10",
            """{"aud":"vouch.example.com","jti":"0123456789abcdef"}""", AuditHash.Genesis);
}

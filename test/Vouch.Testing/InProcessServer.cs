using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Persistence;

namespace Vouch.Testing;

/// <summary>
/// The real server application on a real Kestrel socket (127.0.0.1, a free port) inside the test process, so that
/// tests can reach its services (mint a token, move its clock) while peers such as jose talk to it over HTTP.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly TemporaryDirectory? _ownedDirectory;

    private InProcessServer(WebApplication app, ServerSettings settings, TemporaryDirectory? ownedDirectory)
    {
        App = app;
        Settings = settings;
        _ownedDirectory = ownedDirectory;
        Client = new HttpClient { BaseAddress = new Uri(settings.Issuer + "/") };
    }

    public WebApplication App { get; }
    public ServerSettings Settings { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => App.Services;
    public string Issuer => Settings.Issuer;
    public string JwksUri => Settings.JwksUri;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Starts a server on <paramref name="database"/> (default: a new SQLite file) with development settings.</summary>
    public static async Task<InProcessServer> StartAsync(
        DatabaseSettings? database = null, TimeProvider? time = null, KeyEncryptionKey? keyEncryptionKey = null,
        string? issuerPath = null, Vouch.Server.WebAuthn.AttestationPolicy attestation = Vouch.Server.WebAuthn.AttestationPolicy.Yubikey,
        Vouch.Server.WebAuthn.YubicoAttestation? yubico = null)
    {
        TemporaryDirectory? owned = null;
        if (database is null)
        {
            owned = new TemporaryDirectory();
            database = DatabaseSettings.Parse(owned.File("vouch.db"));
        }
        var port = FreePort.Next();
        var settings = new ServerSettings
        {
            Issuer = $"http://127.0.0.1:{port}{issuerPath}",
            Audience = $"127.0.0.1:{port}{issuerPath}",
            Listen = $"http://127.0.0.1:{port}",
            Database = database,
            Development = true,
            TokenLifetime = TimeSpan.FromMinutes(10),
            KeyRotationInterval = TimeSpan.FromDays(30),
            Attestation = attestation,
        };
        var app = ServerApplication.Build(settings, keyEncryptionKey ?? KeyEncryptionKey.Generate(), services =>
        {
            if (time is not null) services.AddSingleton(time);
            if (yubico is not null) services.AddSingleton(yubico);
        });
        await ServerApplication.StartAsync(app, CancellationToken.None);
        return new InProcessServer(app, settings, owned);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _ownedDirectory?.Dispose();
    }
}

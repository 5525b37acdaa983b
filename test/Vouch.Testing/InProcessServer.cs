using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Users;
using Vouch.Server.WebAuthn;

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
        Client = new HttpClient { BaseAddress = new Uri(settings.Oidc.Issuer + "/") };
    }

    public WebApplication App { get; }
    public ServerSettings Settings { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => App.Services;
    public string Issuer => Settings.Oidc.Issuer;
    public string Audience => Settings.Oidc.Audience;
    public string JwksUri => Settings.Oidc.JwksUri;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>An invite code for <paramref name="email"/>, as <c>vouch-server invite</c> makes it (valid an hour unless told otherwise).</summary>
    public async Task<string> InviteAsync(string email, TimeSpan? lifetime = null)
    {
        var address = EmailAddress.TryParse(email)!;
        var created = await Get<InviteService>().CreateAsync(address, address.Domain, lifetime ?? TimeSpan.FromHours(1), "admin:test", CancellationToken.None);
        return created.Code;
    }

    /// <summary>
    /// Starts a server on <paramref name="database"/> (default: a new SQLite file) with development settings; what it
    /// logs also goes to <paramref name="logs"/> when given; <paramref name="services"/> may add or replace services.
    /// </summary>
    public static async Task<InProcessServer> StartAsync(
        DatabaseSettings? database = null, TimeProvider? time = null, KeyEncryptionKey? keyEncryptionKey = null,
        string? issuerPath = null, AttestationPolicy? attestation = null,
        Func<ServerSettings, ServerSettings>? configure = null, CapturedLogs? logs = null, Action<IServiceCollection>? services = null)
    {
        TemporaryDirectory? owned = null;
        if (database is null)
        {
            owned = new TemporaryDirectory();
            database = DatabaseSettings.Parse(owned.File("vouch.db"));
        }
        var port = FreePort.Next();
        var issuer = $"http://127.0.0.1:{port}{issuerPath}";
        var settings = new ServerSettings
        {
            Listen = $"http://127.0.0.1:{port}",
            Development = true,
            Oidc = new OidcOptions { Issuer = issuer, Audience = $"127.0.0.1:{port}{issuerPath}", TokenLifetime = TimeSpan.FromMinutes(10) },
            WebAuthn = WebAuthnOptions.ForIssuer(issuer, attestation ?? AttestationPolicy.Yubikey),
            Keys = new KeyPolicy(TimeSpan.FromDays(30)),
            Database = database,
        };
        if (configure is not null) settings = configure(settings);
        var app = ServerApplication.Build(settings, keyEncryptionKey ?? KeyEncryptionKey.Generate(), collection =>
        {
            if (time is not null) collection.AddSingleton(time);
            if (logs is not null) collection.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
            services?.Invoke(collection);
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

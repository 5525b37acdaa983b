using Microsoft.AspNetCore.Builder;
using System.Net.Security;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;
using Vouch.Server.Sessions;
using Vouch.Server.Web;
using Vouch.Server.WebAuthn;

namespace Vouch.Server.Hosting;

/// <summary>Composes the web server from the features; each feature registers and maps itself.</summary>
public static class ServerApplication
{
    public static WebApplication Build(ServerSettings settings, KeyEncryptionKey keyEncryptionKey, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "vouch-server",
            ContentRootPath = AppContext.BaseDirectory,
            // Vouch's development mode is its own setting; ASP.NET Core's would add a developer exception page.
            EnvironmentName = "Production",
        });
        if (settings.Tls is null) builder.WebHost.UseUrls(settings.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (settings.Tls is not null) ListenWithTls(kestrel, new Uri(settings.Listen));
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ErrorResponses.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.FormatterName = EscapingConsoleFormatter.FormatterName)
            .AddConsoleFormatter<EscapingConsoleFormatter, ConsoleFormatterOptions>();
        // Per-request logs would cost more than the hot endpoints themselves, and EF Core's SQL logs are noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // A garbage anti-forgery cookie is the client's error, already answered 400 (or a fresh cookie on a GET):
        // ASP.NET logs it at Error with a stack trace, which any client could repeat to flood the log.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Antiforgery", LogLevel.Critical);

        builder.Services
            .AddSingleton(settings)
            .Configure<RateLimiterOptions>(limiter =>
            {
                limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                limiter.OnRejected = (rejected, _) =>
                {
                    var problem = ApiResults.RateLimited(rejected.HttpContext, rejected.Lease);
                    return new ValueTask(ErrorResponses.WriteAsync(rejected.HttpContext, problem.Status, problem.Code, problem.Description));
                };
            })
            .AddVouchCore(settings.Database, keyEncryptionKey, settings.Keys, settings.Sessions)
            .AddVouchKeyRotation()
            .AddVouchOidc(settings.Oidc)
            .AddVouchWebAuthn(settings.WebAuthn)
            .AddVouchWeb()
            .AddVouchBrowserSessions(settings.Oidc.Issuer);
        builder.Services.AddSingleton<DatabaseHealth>().AddHostedService(provider => provider.GetRequiredService<DatabaseHealth>());
        if (settings.Tls is not null) builder.Services.AddSingleton(settings.Tls).AddSingleton<TlsCertificateSource>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        if (settings.TrustedProxies.Count > 0) app.UseForwardedHeaders(TrustedProxyOptions(settings.TrustedProxies));
        app.UseVouchErrors();
        app.UseVouchWebHeaders(settings.Oidc.Issuer);
        var issuerPath = new Uri(settings.Oidc.Issuer).AbsolutePath.TrimEnd('/');
        if (issuerPath.Length > 0) app.UsePathBase(issuerPath);
        app.UseVouchPublicDocuments();
        app.UseVouchErrorPages();
        app.UseRouting();
        app.UseVouchBrowserSessions();
        app.UseRateLimiter();
        app.MapVouchHealth();
        app.MapVouchOidc();
        app.MapVouchWebAuthn();
        app.MapVouchSessions();
        app.MapVouchWeb();
        return app;
    }

    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto from the trusted proxies only (ASP.NET Core's default trusts loopback;
    /// Vouch trusts nobody unless told). Walking the X-Forwarded-For list from the right, it stops at the first
    /// address that is not a trusted proxy: that is the client, whatever a client wrote further left.
    /// </summary>
    private static ForwardedHeadersOptions TrustedProxyOptions(IReadOnlyList<System.Net.IPNetwork> proxies)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = null,
        };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var proxy in proxies) options.KnownIPNetworks.Add(proxy);
        return options;
    }

    /// <summary>Listens on <paramref name="listen"/> with the certificate from <see cref="TlsCertificateSource"/>, looked up per connection so a renewal needs no restart.</summary>
    private static void ListenWithTls(KestrelServerOptions kestrel, Uri listen)
    {
        void Https(ListenOptions options) => options.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = kestrel.ApplicationServices.GetRequiredService<TlsCertificateSource>().Current,
            }),
        });
        // ServerSettings accepts only hosts ListenHost understands.
        var host = ListenHost.Parse(listen) ?? throw new InvalidOperationException($"{listen} names no address to listen on");
        if (host.AnyAddress) kestrel.ListenAnyIP(listen.Port, Https);
        else if (host.Localhost) kestrel.ListenLocalhost(listen.Port, Https);
        else kestrel.Listen(host.Address!, listen.Port, Https);
    }

    /// <summary>
    /// Migrates the database, then starts: keys are loaded (and the key-encryption key checked against them) before
    /// the server accepts requests. A log that ends in unkeyed records stops it first (<see cref="UnkeyedAuditHeadException"/>):
    /// the operator checks and seals them explicitly, the server never does.
    /// </summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        await app.Services.GetRequiredService<AuditLog>().RefuseUnkeyedHeadAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
    }
}

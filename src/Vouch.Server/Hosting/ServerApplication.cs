using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vouch.Server.Audit;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Sessions;
using Vouch.Server.Users;
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
        builder.WebHost.UseUrls(settings.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ErrorResponses.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        // Per-request logs would cost more than the hot endpoints themselves, and EF Core's SQL logs are noise.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        builder.Services
            .AddSingleton(TimeProvider.System)
            .AddSingleton(settings)
            .Configure<RateLimiterOptions>(limiter => limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests)
            .AddVouchPersistence(settings.Database)
            .AddVouchAudit()
            .AddVouchUsers()
            .AddVouchSessions()
            .AddVouchKeys(settings.Keys, keyEncryptionKey)
            .AddVouchKeyRotation()
            .AddVouchOidc(settings.Oidc)
            .AddVouchWebAuthn(settings.WebAuthn);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseVouchErrors();
        var issuerPath = new Uri(settings.Oidc.Issuer).AbsolutePath.TrimEnd('/');
        if (issuerPath.Length > 0) app.UsePathBase(issuerPath);
        app.UseRouting();
        app.UseRateLimiter();
        app.MapVouchHealth();
        app.MapVouchOidc();
        app.MapVouchWebAuthn();
        app.MapVouchSessions();
        return app;
    }

    /// <summary>Migrates the database, then starts: keys are loaded before the server accepts requests.</summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
    }
}

using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Vouch.Server.Hosting;
using Vouch.Server.Secrets;

namespace Vouch.Server.Admin;

/// <summary><c>vouch-server serve</c>: runs the issuer until SIGINT or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(CommandContext context)
    {
        var issuer = new Option<string?>("--issuer") { Description = "issuer URL, exactly as in the tokens' iss (or VOUCH_ISSUER)" };
        var listen = new Option<string?>("--listen") { Description = "http:// URL to listen on (or VOUCH_LISTEN)" };
        var audience = new Option<string?>("--audience") { Description = "default aud of tokens; default: the issuer without its scheme (or VOUCH_AUDIENCE)" };
        var attestation = new Option<string?>("--attestation") { Description = "yubikey (default): only YubiKeys may enroll; any: any authenticator (or VOUCH_ATTESTATION)" };
        attestation.AcceptOnlyFromAmong("yubikey", "any");
        var attestationRoots = new Option<string?>("--attestation-roots") { Description = "PEM file of the roots a key's attestation must chain to, instead of Yubico's (or VOUCH_ATTESTATION_ROOTS)" };
        var attestationAaguids = new Option<string?>("--attestation-aaguids") { Description = "file of the AAGUIDs (one a line) that may enroll, among keys whose attestation verifies (or VOUCH_ATTESTATION_AAGUIDS)" };
        var tlsCertificate = new Option<string?>("--tls-certificate") { Description = "PEM file with the server's certificate and its chain: serve https directly (or VOUCH_TLS_CERTIFICATE); re-read when it changes" };
        var tlsPrivateKey = new Option<string?>("--tls-private-key") { Description = "PEM file with that certificate's private key (or VOUCH_TLS_PRIVATE_KEY)" };
        var trustedProxies = new Option<string?>("--trusted-proxies") { Description = "CIDR[,CIDR...] of reverse proxies whose X-Forwarded-For/-Proto are believed (or VOUCH_TRUSTED_PROXIES)" };
        var ceremonyRateLimit = new Option<string?>("--ceremony-rate-limit") { Description = "enroll/login requests a client address (IPv6: a /64) may make a minute; default 30 (or VOUCH_CEREMONY_RATE_LIMIT)" };
        var tokenRateLimit = new Option<string?>("--token-rate-limit") { Description = "token requests a session may make a minute; default 300 (or VOUCH_TOKEN_RATE_LIMIT)" };
        var sourceIdentity = new Option<bool>("--source-identity") { Description = "put the user's email in tokens as AWS's source identity, kept by CloudTrail (or VOUCH_SOURCE_IDENTITY)" };
        var command = new Command("serve", "Run the Vouch server")
        {
            issuer, listen, audience, attestation, attestationRoots, attestationAaguids, tlsCertificate, tlsPrivateKey, trustedProxies, ceremonyRateLimit, tokenRateLimit, sourceIdentity,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse, context, cancellationToken,
            (SettingNames.Issuer.Key, parse.GetValue(issuer)),
            (SettingNames.Listen.Key, parse.GetValue(listen)),
            (SettingNames.Audience.Key, parse.GetValue(audience)),
            (SettingNames.Attestation.Key, parse.GetValue(attestation)),
            (SettingNames.AttestationRoots.Key, parse.GetValue(attestationRoots)),
            (SettingNames.AttestationAaguids.Key, parse.GetValue(attestationAaguids)),
            (SettingNames.TlsCertificate.Key, parse.GetValue(tlsCertificate)),
            (SettingNames.TlsPrivateKey.Key, parse.GetValue(tlsPrivateKey)),
            (SettingNames.TrustedProxies.Key, parse.GetValue(trustedProxies)),
            (SettingNames.CeremonyRateLimit.Key, parse.GetValue(ceremonyRateLimit)),
            (SettingNames.TokenRateLimit.Key, parse.GetValue(tokenRateLimit)),
            (SettingNames.SourceIdentity.Key, parse.GetValue(sourceIdentity) ? "true" : null)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CommandContext context, CancellationToken cancellationToken, params (string, string?)[] flags)
    {
        var options = CommonOptions.Load(parse, context, flags);
        if (!options.Succeeded) return CommonOptions.Report(context, options.Problems);
        var settings = ServerSettings.Resolve(options.Value);
        if (!settings.Succeeded) return CommonOptions.Report(context, settings.Problems);
        // Before the key-encryption key: a development server that cannot start leaves no new <database>.kek behind.
        if (ListenProbe.Check(new Uri(settings.Value.Listen)) is { } busy)
        {
            context.Error.WriteLine($"vouch-server: cannot listen on {settings.Value.Listen}: {busy}");
            return ExitCodes.BadConfiguration;
        }
        var kek = KeyEncryptionKeyLoader.Load(
            options.Value.KeyEncryptionKey, options.Value.KeyEncryptionKeyFile, options.Value.Development, settings.Value.Database.SqlitePath, warning => context.Error.WriteLine($"vouch-server: warning: {warning}"));
        if (!kek.Succeeded) return CommonOptions.Report(context, kek.Problems);

        if (settings.Value.Oidc.Issuer.StartsWith("https://", StringComparison.Ordinal) && settings.Value.Tls is null && settings.Value.TrustedProxies.Count == 0)
        {
            // Behind a proxy every request would come from the proxy: one client's ceremonies would use up everyone's limit.
            context.Error.WriteLine($"vouch-server: warning: the issuer is https but this server has no certificate, so a proxy terminates TLS; " +
                $"pass {SettingNames.TrustedProxies.Flag} with its address (e.g. 127.0.0.1) so that the audit log and rate limits see the real clients");
        }

        await using var app = ServerApplication.Build(settings.Value, kek.Value);
        var started = await CommandFailures.RunAsync(context, async () =>
        {
            try
            {
                await ServerApplication.StartAsync(app, cancellationToken);
                return ExitCodes.Ok;
            }
            catch (IOException e)
            {
                // Most often the listen address is already in use.
                context.Error.WriteLine($"vouch-server: cannot listen on {settings.Value.Listen}: {e.Message}");
                return ExitCodes.BadConfiguration;
            }
        }, e => $"cannot open {settings.Value.Database.Display}: {e.Message}");
        if (started != ExitCodes.Ok) return started;

        PrintReady(context, settings.Value, app.Urls);
        await app.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// How to run this same binary from the current directory: <c>vouch-server</c> when that is what PATH finds,
    /// else its path (relative when below the current directory), so that printed commands work as printed.
    /// </summary>
    internal static string Invocation()
    {
        var self = Environment.ProcessPath;
        if (self is null || !Path.GetFileNameWithoutExtension(self).Equals("vouch-server", StringComparison.Ordinal))
            return "dotnet " + Quote(Path.Combine(AppContext.BaseDirectory, "vouch-server.dll"));
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "vouch-server"))
            .FirstOrDefault(File.Exists);
        if (onPath is not null && Path.GetFullPath(onPath) == Path.GetFullPath(self)) return "vouch-server";
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, self);
        return Quote(relative.StartsWith("..", StringComparison.Ordinal) ? self : "./" + relative);
    }

    private static string Quote(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$') ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : path;

    private static void PrintReady(CommandContext context, ServerSettings settings, ICollection<string> urls)
    {
        var error = context.Error;
        error.WriteLine("Vouch server ready");
        error.WriteLine($"  issuer     {settings.Oidc.Issuer}  (audience {settings.Oidc.Audience})");
        error.WriteLine($"  discovery  {settings.Oidc.DiscoveryUri}");
        error.WriteLine($"  jwks       {settings.Oidc.JwksUri}");
        error.WriteLine($"  listening  {string.Join(", ", urls)}");
        error.WriteLine($"  database   {settings.Database.Display}");
        if (settings.Development)
        {
            error.WriteLine("Development mode: for trying Vouch on this machine, not for production.");
            var database = settings.Database.SqlitePath is { } path ? $" --database {path}" : "";
            var self = Invocation();
            error.WriteLine($"Next: curl {settings.Oidc.DiscoveryUri}");
            // invite cannot know this server's issuer: name it unless it is the one --development defaults to.
            var issuer = settings.Oidc.Issuer == ServerSettings.DevelopmentIssuer ? "" : $" --issuer {settings.Oidc.Issuer}";
            error.WriteLine($"      {self} invite --email you@example.com --development{database}{issuer}");
            error.WriteLine($"      {self} keys list{database}");
        }
    }
}

using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Vouch.Server.Aws;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;
using Vouch.Server.Oidc;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Admin;

/// <summary>
/// <c>vouch-server doctor [--issuer URL]</c>: checks the issuer from the outside as AWS would (see
/// <see cref="IssuerDoctor"/>), comparing with the server's own database when it can be opened: the key that signs
/// now, and a token minted with it when the key-encryption key is at hand. Exit 1 when anything is wrong.
/// </summary>
internal static class DoctorCommand
{
    private static readonly Option<string?> IssuerToCheck = new("--issuer") { Description = "the public issuer URL to check (default: the server's settings)" };

    public static Command Create(CommandContext context)
    {
        var issuer = IssuerToCheck;
        var command = new Command("doctor", "Check from the outside, as AWS would, that this issuer works: URL, TLS chain, discovery, JWKS, a fresh token, clock")
        {
            issuer,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommonOptions.Load(parse, context);
            if (!options.Succeeded) return CommonOptions.Report(context, options.Problems);
            // The URL is checked as given: reporting what is wrong with it is the doctor's job, not a reason to stop.
            var checkedIssuer = parse.GetValue(issuer)?.Trim() is { Length: > 0 } given ? given
                : options.Value.Issuer?.Trim() is { Length: > 0 } configured ? configured
                : options.Value.Development ? ServerSettings.DevelopmentIssuer : null;
            if (checkedIssuer is null)
            {
                context.Error.WriteLine($"vouch-server: which issuer? pass --issuer https://vouch.example.com or set {SettingNames.Issuer}");
                return ExitCodes.BadConfiguration;
            }
            var trimmed = checkedIssuer.TrimEnd('/');
            var oidc = new OidcOptions
            {
                // A token as the server mints it: with the server's own issuer when it is configured.
                Issuer = options.Value.Issuer?.Trim() is { Length: > 0 } own ? own : trimmed,
                Audience = options.Value.Audience?.Trim() is { Length: > 0 } audience ? audience : IssuerUrl.DefaultAudience(trimmed),
                TokenLifetime = TimeSpan.FromMinutes(5),
                SourceIdentity = options.Value.SourceIdentity,
            };

            var server = await ReadServerAsync(parse, context, options.Value, oidc, cancellationToken);
            var findings = await new IssuerDoctor(TimeProvider.System).CheckAsync(checkedIssuer, server, cancellationToken);
            foreach (var finding in findings) context.Out.WriteLine(finding);
            var failed = findings.Count(f => f.Verdict == DoctorVerdict.Failed);
            if (failed == 0) return ExitCodes.Ok;
            context.Error.WriteLine($"vouch-server: doctor found {(failed == 1 ? "1 problem" : $"{failed} problems")} (the FAIL lines above)");
            return ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>The key that signs now and a token minted with it; what cannot be had is said in the evidence.</summary>
    private static async Task<ServerEvidence> ReadServerAsync(
        ParseResult parse, CommandContext context, VouchServerOptions options, OidcOptions oidc, CancellationToken cancellationToken)
    {
        ServerEvidence? evidence = null;
        var exit = await AdminServices.RunAsync<ServerReader>(parse, context, keyEncryptionKeyFor: HasKeyEncryptionKey(options) ? "to mint a test token" : null,
            async reader =>
            {
                evidence = await reader.ReadAsync(oidc, cancellationToken);
                return ExitCodes.Ok;
            }, cancellationToken);
        return evidence ?? new ServerEvidence
        {
            Audience = oidc.Audience,
            KeyUnavailable = $"not compared: the server's database could not be opened (exit {exit}, the message above); pass --database or --config as for the server",
            TokenUnavailable = "not minted: the server's database could not be opened",
        };
    }

    /// <summary>Whether a key-encryption key is configured: without one, doctor still checks everything but the token.</summary>
    private static bool HasKeyEncryptionKey(VouchServerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.KeyEncryptionKey) || !string.IsNullOrWhiteSpace(options.KeyEncryptionKeyFile)) return true;
        var database = DatabaseSettings.TryParse(options.Database, []);
        return options.Development && database?.SqlitePath is { } path && File.Exists(path + KeyEncryptionKeyLoader.DevelopmentSuffix);
    }

    private sealed class ServerReader(SigningKeyReader reader, TimeProvider time, KeyEncryptionKey? keyEncryptionKey = null)
    {
        /// <summary>Whom the test token is for: nobody, in a domain that cannot exist (RFC 2606).</summary>
        private const string TestSubject = "doctor@vouch-doctor.invalid";

        public async Task<ServerEvidence> ReadAsync(OidcOptions oidc, CancellationToken cancellationToken)
        {
            var current = new KeySchedule<SigningKeyRecord>(await reader.LoadAsync(cancellationToken)).CurrentAt(time.GetUtcNow());
            if (current is null)
            {
                const string none = "the database holds no key that signs now: start the server once (it creates its keys)";
                return new ServerEvidence { Audience = oidc.Audience, KeyUnavailable = none, TokenUnavailable = none };
            }
            if (keyEncryptionKey is null)
            {
                return new ServerEvidence
                {
                    Audience = oidc.Audience, CurrentKid = current.Kid,
                    TokenUnavailable = $"not minted: no key-encryption key ({SettingNames.KeyEncryptionKey.EnvironmentVariable} or {SettingNames.KeyEncryptionKeyFile.Flag}) to open the signing key with",
                };
            }
            var ring = new KeyRingProvider(reader, keyEncryptionKey, time, NullLogger<KeyRingProvider>.Instance);
            await ring.ReloadAsync(cancellationToken);
            if (ring.SigningProblemAt(time.GetUtcNow()) is { } problem)
                return new ServerEvidence { Audience = oidc.Audience, CurrentKid = current.Kid, TokenUnavailable = $"not minted: {problem}" };
            // Minted here and never handed out, so not audited: it only proves the published keys verify what the server signs.
            var issued = new IdTokenService(oidc, ring, time).Issue(new IdTokenRequest { Email = TestSubject });
            return issued.Succeeded
                ? new ServerEvidence { Audience = oidc.Audience, CurrentKid = current.Kid, Token = issued.Value.Token }
                : new ServerEvidence { Audience = oidc.Audience, CurrentKid = current.Kid, TokenUnavailable = $"not minted: {issued.Problem!.Description}" };
        }
    }
}

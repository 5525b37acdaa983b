using System.CommandLine;
using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Vouch.Server.Hosting;
using Vouch.Server.Keys;

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
        var command = new Command("serve", "Run the Vouch server") { issuer, listen, audience, attestation };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse, context, cancellationToken,
            (SettingNames.Issuer.Key, parse.GetValue(issuer)),
            (SettingNames.Listen.Key, parse.GetValue(listen)),
            (SettingNames.Audience.Key, parse.GetValue(audience)),
            (SettingNames.Attestation.Key, parse.GetValue(attestation))));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CommandContext context, CancellationToken cancellationToken, params (string, string?)[] flags)
    {
        var options = CommonOptions.Load(parse, context, flags);
        if (!options.Succeeded) return CommonOptions.Report(context, options.Problems);
        var settings = ServerSettings.Resolve(options.Value);
        if (!settings.Succeeded) return CommonOptions.Report(context, settings.Problems);
        var kek = KeyEncryptionKeyLoader.Load(options.Value, settings.Value.Database, warning => context.Error.WriteLine($"vouch-server: warning: {warning}"));
        if (!kek.Succeeded) return CommonOptions.Report(context, kek.Problems);

        await using var app = ServerApplication.Build(settings.Value, kek.Value);
        try
        {
            await ServerApplication.StartAsync(app, cancellationToken);
        }
        catch (DbException e)
        {
            context.Error.WriteLine($"vouch-server: cannot open {settings.Value.Database.Display}: {e.Message}");
            return ExitCodes.DatabaseUnavailable;
        }
        catch (KeyEncryptionKeyMismatchException e)
        {
            context.Error.WriteLine($"vouch-server: {e.Message}");
            return ExitCodes.BadConfiguration;
        }
        catch (IOException e)
        {
            // Most often the listen address is already in use.
            context.Error.WriteLine($"vouch-server: cannot listen on {settings.Value.Listen}: {e.Message}");
            return ExitCodes.BadConfiguration;
        }

        PrintReady(context, settings.Value, app.Urls);
        await app.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Ok;
    }

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
            error.WriteLine($"Next: curl {settings.Oidc.DiscoveryUri}");
            error.WriteLine($"      vouch-server invite --email you@example.com{database}");
            error.WriteLine($"      vouch-server keys list{database}");
        }
    }
}

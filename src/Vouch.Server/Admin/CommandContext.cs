using System.Collections;
using System.CommandLine;
using Vouch.Server.Hosting;

namespace Vouch.Server.Admin;

/// <summary>What a command needs from outside: its output streams and the environment (both replaceable in tests).</summary>
public sealed record CommandContext(TextWriter Out, TextWriter Error, IDictionary Environment)
{
    public static CommandContext FromProcess() =>
        new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariables());
}

/// <summary>The flags every command shares: where the settings and the database are.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config") { Description = "JSON settings file (or VOUCH_CONFIG)", Recursive = true };
    public static readonly Option<string?> Database = new("--database") { Description = "SQLite file or PostgreSQL connection string (or VOUCH_DATABASE); default vouch.db", Recursive = true };
    public static readonly Option<bool> Development = new("--development") { Description = "development settings: loopback issuer, key-encryption key kept beside the database", Recursive = true };
    public static readonly Option<string?> KeyEncryptionKeyFile = new("--key-encryption-key-file") { Description = "file with the base64 key-encryption key (or VOUCH_KEY_ENCRYPTION_KEY)", Recursive = true };

    public static void AddTo(Command command)
    {
        command.Add(Config);
        command.Add(Database);
        command.Add(Development);
        command.Add(KeyEncryptionKeyFile);
    }

    /// <summary>Loads the options from the config file, environment and these flags (plus <paramref name="extra"/> flags).</summary>
    public static Outcome<VouchServerOptions> Load(ParseResult parse, CommandContext context, params (string Key, string? Value)[] extra)
    {
        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [SettingNames.Database.Key] = parse.GetValue(Database),
            [SettingNames.KeyEncryptionKeyFile.Key] = parse.GetValue(KeyEncryptionKeyFile),
            [SettingNames.Development.Key] = parse.GetValue(Development) ? "true" : null,
        };
        foreach (var (key, value) in extra) flags[key] = value;
        return ServerConfiguration.Load(parse.GetValue(Config), flags, context.Environment);
    }

    /// <summary>Prints configuration errors, one per line, and returns the exit code for them.</summary>
    public static int Report(CommandContext context, IReadOnlyList<Problem> problems)
    {
        foreach (var problem in problems) context.Error.WriteLine($"vouch-server: {problem.Description}");
        return ExitCodes.BadConfiguration;
    }
}

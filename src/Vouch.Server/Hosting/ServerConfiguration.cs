using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Vouch.Server.Hosting;

/// <summary>
/// Reads <see cref="VouchServerOptions"/> from, lowest precedence first: a JSON file (<c>--config</c> or
/// <c>VOUCH_CONFIG</c>), <c>VOUCH_*</c> environment variables, then command-line flags.
/// </summary>
internal static class ServerConfiguration
{
    public static Outcome<VouchServerOptions> Load(
        string? configFile, IReadOnlyDictionary<string, string?> flags, IDictionary environment)
    {
        var builder = new ConfigurationBuilder();
        configFile ??= environment[SettingNames.ConfigFileVariable] as string;
        if (!string.IsNullOrEmpty(configFile))
        {
            var path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
                return SettingProblem.Of($"config file {path} (--config, VOUCH_CONFIG) does not exist");
            builder.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        var fromEnvironment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in SettingNames.All)
        {
            if (environment[setting.EnvironmentVariable] is string value && value.Length > 0)
                fromEnvironment[setting.Key] = value;
        }
        builder.AddInMemoryCollection(fromEnvironment);
        builder.AddInMemoryCollection(flags.Where(f => f.Value is not null));

        var options = new VouchServerOptions();
        try
        {
            builder.Build().Bind(options);
        }
        catch (InvalidDataException e)
        {
            // A config file that is not JSON.
            return SettingProblem.Of($"config file {configFile}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // A value that does not convert, such as TokenLifetimeSeconds = "ten".
            return SettingProblem.Of($"configuration: {e.InnerException?.Message ?? e.Message}");
        }
        return options;
    }
}

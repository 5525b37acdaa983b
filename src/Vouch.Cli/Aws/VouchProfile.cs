namespace Vouch.Cli.Aws;

/// <summary>
/// An AWS profile that gets its credentials from vouch (as <c>vouch setup aws</c> writes it): the role named by
/// <c>--role</c> in its <c>credential_process</c> line, and its <c>region</c> when it has one.
/// </summary>
public sealed record VouchProfile(string Name, string Role, string? Region)
{
    /// <summary><c>$AWS_CONFIG_FILE</c>, else <c>~/.aws/config</c>.</summary>
    public static string ConfigFile(Func<string, string?> environment) =>
        environment("AWS_CONFIG_FILE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "config");

    /// <summary>Reads profile <paramref name="name"/> from <paramref name="file"/>; a missing file or profile, or one vouch does not serve, is a configuration error.</summary>
    public static VouchProfile Read(string file, string name)
    {
        if (!File.Exists(file)) throw new CliException(ExitCodes.BadConfiguration, $"{file} does not exist: run 'vouch setup aws --profile {name}' or pass --role");
        var settings = AwsConfigEditor.Read(File.ReadAllText(file), name)
            ?? throw new CliException(ExitCodes.BadConfiguration, $"there is no profile '{name}' in {file}");
        var role = settings.TryGetValue("credential_process", out var process) ? RoleOf(process) : null;
        if (role is null)
            throw new CliException(ExitCodes.BadConfiguration, $"profile '{name}' in {file} does not get its credentials from 'vouch credential aws --role ARN': pass --role");
        return new VouchProfile(name, RoleArn.Require(role), settings.TryGetValue("region", out var region) && region.Length > 0 ? region : null);
    }

    /// <summary>The ARN after <c>--role</c> in a <c>... credential aws --role ARN ...</c> command line; null when it is not one.</summary>
    internal static string? RoleOf(string credentialProcess)
    {
        var words = credentialProcess.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3) return null;
        var aws = Array.FindIndex(words, 1, w => w == "aws");
        if (aws < 1 || words[aws - 1] != "credential") return null;
        for (var i = aws + 1; i < words.Length; i++)
        {
            if (words[i] == "--role" && i + 1 < words.Length) return words[i + 1];
            if (words[i].StartsWith("--role=", StringComparison.Ordinal)) return words[i]["--role=".Length..];
        }
        return null;
    }
}

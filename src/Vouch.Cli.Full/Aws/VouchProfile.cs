namespace Vouch.Cli.Aws;

/// <summary>
/// An AWS profile whose <c>credential_process</c> runs <c>vouch credential aws</c>, as <c>vouch setup aws</c> writes
/// it and <c>setup aws --list</c> and <c>doctor</c> read it: the program run, and the role, region and duration it
/// asks for (null when the line does not say). <see cref="Region"/> is the line's <c>--region</c>, else the profile's
/// <c>region</c>.
/// </summary>
public sealed record VouchProfile(string Name, string Program, string? Role, string? Region, int Duration, AwsConfigSection Section)
{
    /// <summary>
    /// The credential_process line for <paramref name="program"/> and a role, in the order Vouch writes it, then the
    /// <paramref name="kept"/> arguments of the line it replaces (<see cref="HandAdded"/>).
    /// </summary>
    public static string CredentialProcess(string program, string role, string region, IEnumerable<string>? kept = null) =>
        $"{ShellWords.Quote(program)} credential aws --role {role} --format aws-credential-process --region {region}" +
        string.Concat((kept ?? []).Select(word => " " + ShellWords.Quote(word)));

    /// <summary>
    /// The arguments of this profile's line that <c>setup aws</c> does not write (a hand-added <c>--duration 900</c>),
    /// which running it again keeps.
    /// </summary>
    public IReadOnlyList<string> HandAdded()
    {
        string[] written = ["--role", "--format", "--region"];
        var words = ShellWords.Split(Section.Settings["credential_process"].Value) ?? [];
        var kept = new List<string>();
        for (var i = 3; i < words.Length; i++)
        {
            if (written.Contains(words[i])) i++;
            else if (!written.Any(name => words[i].StartsWith(name + "=", StringComparison.Ordinal))) kept.Add(words[i]);
        }
        return kept;
    }

    /// <summary>
    /// Profile <paramref name="name"/> of the config file at <paramref name="path"/>, which must get its credentials
    /// from <c>vouch credential aws --role ARN</c> (for <c>vouch console --profile</c>); anything else is a
    /// configuration error that says what to do.
    /// </summary>
    public static VouchProfile Read(string path, string name)
    {
        var file = AwsConfigFile.Load(path)
            ?? throw new CliException(FailureKind.BadConfiguration, $"{path} does not exist: run 'vouch setup aws --profile {name}' or pass --role");
        var section = file.Profile(name) ?? throw new CliException(FailureKind.BadConfiguration, $"there is no profile '{name}' in {path}");
        if (From(section) is not { Role: { } role } profile)
            throw new CliException(FailureKind.BadConfiguration, $"profile '{name}' in {path} does not get its credentials from 'vouch credential aws --role ARN': pass --role");
        RoleArn.Require(role);
        return profile;
    }

    /// <summary>Every profile in <paramref name="file"/> whose credential_process runs a <c>vouch</c> executable's <c>credential aws</c>, in file order.</summary>
    public static IReadOnlyList<VouchProfile> All(AwsConfigFile file) =>
        file.Profiles().Select(From).OfType<VouchProfile>().ToList();

    /// <summary>The profile as Vouch's, or null when its credential_process does not run <c>vouch credential aws</c>.</summary>
    public static VouchProfile? From(AwsConfigSection section)
    {
        if (!section.Settings.TryGetValue("credential_process", out var process)) return null;
        if (ShellWords.Split(process.Value) is not [var program, "credential", "aws", .. var arguments]) return null;
        if (Path.GetFileName(program) != "vouch") return null;
        var duration = Option(arguments, "--duration") is { } text && int.TryParse(text, out var seconds) ? seconds : AwsCredentialRequest.DefaultDurationSeconds;
        var region = Option(arguments, "--region") ?? (section.Settings.TryGetValue("region", out var own) ? own.Value : null);
        return new VouchProfile(section.Profile!, program, Option(arguments, "--role"), region, duration, section);
    }

    private static string? Option(string[] arguments, string name)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i] == name && i + 1 < arguments.Length) return arguments[i + 1];
            if (arguments[i].StartsWith(name + "=", StringComparison.Ordinal)) return arguments[i][(name.Length + 1)..];
        }
        return null;
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vouch.Protocol;
using Vouch.Server.Users;

namespace Vouch.Server.Admin;

/// <summary>
/// What the admin commands print alike: times, <c>--json</c> output (one JSON object per line), emails read from
/// the command line, and refusals (one line on stderr and the exit code that says what kind).
/// </summary>
internal static class CommandOutput
{
    /// <summary>A new <c>--json</c> flag: one JSON object per line on stdout instead of a table.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "one JSON object per line (snake_case fields, ISO 8601 times)" };

    /// <summary>A UTC time to the second, or <c>-</c> for none.</summary>
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static void WriteJsonLines<T>(CommandContext context, IEnumerable<T> items, JsonTypeInfo<T> type)
    {
        foreach (var item in items) context.Out.WriteLine(JsonSerializer.Serialize(item, type));
    }

    /// <summary>The email in <paramref name="text"/> (given as <paramref name="flag"/>, if a flag); null after saying on stderr that it is not one.</summary>
    public static EmailAddress? Email(CommandContext context, string? text, string? flag = null)
    {
        var address = EmailAddress.TryParse(text);
        if (address is null) context.Error.WriteLine($"vouch-server: {(flag is null ? "" : flag + " ")}'{text}' is not a plain email address (like alice@example.com)");
        return address;
    }

    /// <summary>Says why on stderr, in one line, and returns the exit code for it.</summary>
    public static int Refuse(CommandContext context, Problem problem)
    {
        context.Error.WriteLine($"vouch-server: {problem.Description}");
        return problem.Code switch
        {
            ErrorCodes.NotFound => ExitCodes.NotFound,
            ErrorCodes.InvalidRequest => ExitCodes.Usage,
            _ => ExitCodes.Failed,
        };
    }

    /// <summary>
    /// True when the option's value is not a whole number. Its validator must then leave it to the parser's own
    /// error (<see cref="ServerCommandLine.Describe"/>): reading the value would throw.
    /// </summary>
    public static bool NotANumber(OptionResult result) =>
        result.Tokens is [var token] && !int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

    /// <summary>"1 session", "2 sessions".</summary>
    public static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

/// <summary>The fuzz campaign's oracle for one answer: no 5xx, the documented error shape, no .NET type name.</summary>
internal static partial class FuzzLeaks
{
    /// <summary>What the campaign looked for in every answer: a .NET type name, a stack frame or a deserializer's position.</summary>
    [GeneratedRegex(@"\b(System|Microsoft|Fido2NetLib|Vouch)\.[A-Z]|Path: \$|BytePositionInLine|Exception\b|\n   at ")]
    public static partial Regex TypeName();

    public static void AssertNone(string body, string what) =>
        Assert.False(TypeName().IsMatch(body), $"{what} leaks: {TypeName().Match(body).Value} in {body[..Math.Min(body.Length, 400)]}");

    /// <summary>No 5xx, no leak; a refusal in JSON has a stable <c>error</c> code and an <c>error_description</c>.</summary>
    public static void AssertClean(HttpStatusCode status, string body, string? mediaType, string what)
    {
        Assert.True((int)status < 500, $"{what}: answered {(int)status}: {body}");
        AssertNone(body, what);
        if ((int)status < 400 || mediaType != "application/json") return;
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Matches("^[a-z]+(_[a-z]+)*$", root.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("error_description").GetString()), what);
    }
}

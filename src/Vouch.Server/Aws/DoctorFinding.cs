namespace Vouch.Server.Aws;

/// <summary>How a check of <c>vouch-server doctor</c> came out.</summary>
public enum DoctorVerdict
{
    /// <summary>Checked and good.</summary>
    Ok,

    /// <summary>Worth knowing, not wrong (a loopback issuer is fine for development, not for AWS).</summary>
    Note,

    /// <summary>Not checked; the line says why and what would make it checkable.</summary>
    Skipped,

    /// <summary>Wrong: AWS would refuse or fail; the line says what to do.</summary>
    Failed,
}

/// <summary>One line of <c>vouch-server doctor</c>: which check, how it came out, what is wrong and what to do.</summary>
public sealed record DoctorFinding(DoctorVerdict Verdict, string Check, string Message)
{
    /// <summary>
    /// <c>OK    check: message</c>, <c>NOTE  ...</c>, <c>SKIP  ...</c> or <c>FAIL  ...</c>: the word in a 4-character
    /// column, two spaces, the rest, as <c>vouch doctor</c> prints its lines.
    /// </summary>
    public override string ToString() => $"{Verdict switch
    {
        DoctorVerdict.Ok => "OK",
        DoctorVerdict.Note => "NOTE",
        DoctorVerdict.Skipped => "SKIP",
        _ => "FAIL",
    },-4}  {Check}: {Message}";
}

/// <summary>
/// What the server's own database says, for the checks that compare the outside with it: the key that signs now
/// and a token freshly minted with it. Each is null with the reason it could not be had.
/// </summary>
public sealed record ServerEvidence
{
    /// <summary>The audience tokens are minted for (AWS's client id).</summary>
    public required string Audience { get; init; }

    public string? CurrentKid { get; init; }

    /// <summary>Why <see cref="CurrentKid"/> is null.</summary>
    public string? KeyUnavailable { get; init; }

    /// <summary>A token signed by the current key, as the server mints them.</summary>
    public string? Token { get; init; }

    /// <summary>Why <see cref="Token"/> is null.</summary>
    public string? TokenUnavailable { get; init; }
}

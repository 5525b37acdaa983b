using Vouch.Protocol;

namespace Vouch.Server.WebAuthn;

/// <summary>A result, or a refusal with a stable error code, a sentence and the HTTP status to answer with.</summary>
public sealed record Outcome<T>(T? Value, ErrorResponse? Error, int Status = 200) where T : class
{
#pragma warning disable CA1000 // Factory methods on a result type read best as Outcome<T>.Ok(...).
    public static Outcome<T> Ok(T value) => new(value, null);

    public static Outcome<T> Refuse(int status, string code, string description) => new(null, new ErrorResponse(code, description), status);
#pragma warning restore CA1000
}

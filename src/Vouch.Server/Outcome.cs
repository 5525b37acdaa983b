using System.Diagnostics.CodeAnalysis;
using Vouch.Protocol;

namespace Vouch.Server;

/// <summary>
/// Why something was refused: a stable code (<see cref="ErrorCodes"/>), a sentence for people, and the HTTP status
/// that answers it where it reaches a client (default 400).
/// </summary>
public sealed record Problem(string Code, string Description, int Status = 400)
{
    /// <summary>What really went wrong, for the log and the audit trail only; never sent to the client.</summary>
    public string? Reason { get; init; }

    /// <summary>The body a client receives.</summary>
    public ErrorResponse ToResponse() => new(Code, Description);
}

/// <summary>
/// A value, or the problems that stopped it: the one shape every feature returns for an expected failure.
/// <see cref="Succeeded"/> tells the compiler which of <see cref="Value"/> and <see cref="Problem"/> is set.
/// </summary>
public sealed class Outcome<T> where T : notnull
{
    private Outcome(T? value, IReadOnlyList<Problem> problems)
    {
        Value = value;
        Problems = problems;
    }

    /// <summary>The value; set exactly when <see cref="Succeeded"/>.</summary>
    public T? Value { get; }

    /// <summary>Every problem found (configuration reports all at once); empty on success.</summary>
    public IReadOnlyList<Problem> Problems { get; }

    /// <summary>The first problem; set exactly when not <see cref="Succeeded"/>.</summary>
    public Problem? Problem => Problems.Count > 0 ? Problems[0] : null;

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool Succeeded => Problems.Count == 0;

#pragma warning disable CA1000 // Factory methods on a result type read best as Outcome<T>.Ok(...).
    public static Outcome<T> Ok(T value) => new(value, []);

    public static Outcome<T> Fail(Problem problem) => new(default, [problem]);

    public static Outcome<T> Fail(IReadOnlyList<Problem> problems) =>
        problems.Count > 0 ? new(default, problems) : throw new ArgumentException("a failure needs at least one problem", nameof(problems));
#pragma warning restore CA1000

#pragma warning disable CA2225 // The named alternatives are Ok and Fail.
    public static implicit operator Outcome<T>(T value) => Ok(value);

    public static implicit operator Outcome<T>(Problem problem) => Fail(problem);
#pragma warning restore CA2225
}

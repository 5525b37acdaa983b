namespace Vouch.Server.Hosting;

/// <summary>A value built from configuration, or the messages that say which settings to fix.</summary>
internal sealed record Configured<T>(T? Value, IReadOnlyList<string> Errors) where T : class
{
    public bool Succeeded => Value is not null && Errors.Count == 0;

    public static Configured<T> Ok(T value) => new(value, []);

    public static Configured<T> Fail(params IReadOnlyList<string> errors) => new(null, errors);
}

namespace Vouch.Server.Persistence;

/// <summary>
/// Times that are stored are whole milliseconds: SQLite and PostgreSQL then give back exactly what was written,
/// and hashes over them are reproducible.
/// </summary>
public static class StoredTime
{
    public static DateTimeOffset Now(TimeProvider time) => Truncate(time.GetUtcNow());

    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Audit;

/// <summary>
/// Which audit records to show: an event <see cref="Type"/>, a person <see cref="Who"/> (an email: records they did,
/// as <c>user:</c> or <c>admin:</c>, or that name them in <c>email</c>; or an exact actor such as <c>system</c>), a time
/// range [<see cref="From"/>, <see cref="To"/>), and the page: records before sequence <see cref="Before"/>, at most
/// <see cref="Limit"/> (1 to 200, default 50), newest first.
/// </summary>
public sealed record AuditFilter
{
    public const int MaxLimit = 200;

    public string? Type { get; init; }
    public string? Who { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public long? Before { get; init; }
    public int Limit { get; init; } = 50;
}

/// <summary>One page of audit records, newest first; <see cref="NextBefore"/> asks for the next (older) page, null on the last.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Records, long? NextBefore);

/// <summary>
/// Searches the audit log for the administrator's console. Pages are keyset pages on the sequence number (never an
/// offset): a page is as cheap at the millionth record as at the first, and records appended meanwhile never shift it.
/// </summary>
public sealed class AuditQuery(VouchDbContextFactory factory)
{
    public async Task<AuditPage> FindAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(filter.Limit, 1, AuditFilter.MaxLimit);
        await using var db = factory.CreateDbContext();
        var records = db.AuditRecords.AsNoTracking();
        if (filter.Type?.Trim() is { Length: > 0 } type) records = records.Where(r => r.Type == type);
        if (filter.Who?.Trim() is { Length: > 0 } who)
        {
            var email = who.ToLowerInvariant();
            var asUser = AuditActors.User(email);
            var asAdmin = AuditActors.Administrator(email);
            var named = EmailField(email);
            records = records.Where(r => r.Actor == who || r.Actor == asUser || r.Actor == asAdmin || r.Data.Contains(named));
        }
        if (filter.From is { } from) records = records.Where(r => r.Time >= from);
        if (filter.To is { } to) records = records.Where(r => r.Time < to);
        if (filter.Before is { } before) records = records.Where(r => r.Sequence < before);
        var page = await records.OrderByDescending(r => r.Sequence).Take(limit + 1).ToListAsync(cancellationToken);
        return page.Count > limit
            ? new AuditPage(page[..limit], page[limit - 1].Sequence)
            : new AuditPage(page, null);
    }

    /// <summary><c>"email":"…"</c> exactly as the log stores it (the same JSON encoding as <see cref="AuditLog"/>'s).</summary>
    private static string EmailField(string email)
    {
        var json = JsonSerializer.Serialize(
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["email"] = email }, AuditJsonContext.Default.SortedDictionaryStringString);
        return json[1..^1];
    }
}

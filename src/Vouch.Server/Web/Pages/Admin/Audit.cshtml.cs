using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Vouch.Server.Audit;
using Vouch.Server.Web.Admin;

namespace Vouch.Server.Web.Pages.Admin;

/// <summary>
/// <c>/admin/audit</c>: the audit log, newest first, filtered by event, person or actor, and dates (UTC days), 50 a
/// page with a link to the older ones (keyset paging on the sequence number). A GET form: it changes nothing.
/// </summary>
public sealed class AuditModel(AdminConsole console) : AdminPageModel
{
    /// <summary>The event types offered in the filter.</summary>
    public static IReadOnlyList<string> EventTypes { get; } = typeof(AuditEventTypes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToList();

    [BindProperty(SupportsGet = true)] public string? Type { get; set; }
    [BindProperty(SupportsGet = true)] public string? Who { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? To { get; set; }
    [BindProperty(SupportsGet = true)] public long? Before { get; set; }

    public AuditPage Results { get; private set; } = new([], null);

    public async Task OnGetAsync()
    {
        // A malformed date or cursor (typed into the URL) is ignored with a message, never an error page.
        if (!ModelState.IsValid) Refusal = "Some filters were not understood and are ignored: dates are YYYY-MM-DD.";
        Results = await console.AuditAsync(new AuditFilter
        {
            Type = Type, Who = Who,
            From = From is { } from ? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            // The end of the last day is the start of the next; after 9999-12-31 there is none, so it is open-ended.
            To = To is { } to && to < DateOnly.MaxValue ? new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            Before = Before,
        }, HttpContext.RequestAborted);
    }

    /// <summary>The same filters, one page older.</summary>
    public string OlderLink(long before) => Url.Page("/Admin/Audit", new
    {
        type = Type, who = Who,
        from = From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        to = To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        before,
    })!;
}

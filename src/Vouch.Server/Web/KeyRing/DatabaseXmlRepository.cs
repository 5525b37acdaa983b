using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Vouch.Server.Persistence;

namespace Vouch.Server.Web.KeyRing;

/// <summary>
/// Keeps the data-protection key ring in the database (table <c>data_protection_keys</c>), so that every instance on
/// one PostgreSQL reads the same keys and accepts the others' cookies, and a restart signs nobody out. The framework
/// calls it synchronously, rarely (at start, when it creates a key, and when it meets a key it does not know).
/// </summary>
public sealed class DatabaseXmlRepository(VouchDbContextFactory factory, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = factory.CreateDbContext();
        return db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.CreatedAt).Select(k => k.Xml).ToList()
            .Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = factory.CreateDbContext();
        db.DataProtectionKeys.Add(new DataProtectionKeyRecord
        {
            FriendlyName = friendlyName,
            Xml = element.ToString(SaveOptions.DisableFormatting),
            CreatedAt = StoredTime.Now(time),
        });
        db.SaveChanges();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Persistence;
using Vouch.Server.Secrets;

namespace Vouch.Server.Audit;

public static class AuditServices
{
    /// <summary>
    /// Registers the audit log; with a key-encryption key also its <see cref="AuditKey"/>, which writing to the log
    /// and verifying it need (without one, the log can only be read).
    /// </summary>
    public static IServiceCollection AddVouchAudit(this IServiceCollection services, KeyEncryptionKey? keyEncryptionKey)
    {
        if (keyEncryptionKey is not null)
        {
            services.AddSingleton(new AuditKey(keyEncryptionKey));
            services.AddSingleton<AuditChainVerifier>();
        }
        services.AddSingleton<AuditQuery>();
        return services.AddSingleton(provider => new AuditLog(
            provider.GetRequiredService<VouchDbContextFactory>(), provider.GetRequiredService<TimeProvider>(), provider.GetService<AuditKey>()));
    }
}

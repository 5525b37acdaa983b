using Microsoft.Extensions.DependencyInjection;

namespace Vouch.Server.Audit;

public static class AuditServices
{
    public static IServiceCollection AddVouchAudit(this IServiceCollection services) => services
        .AddSingleton<AuditLog>()
        .AddSingleton<AuditChainVerifier>();
}

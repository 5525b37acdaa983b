using Microsoft.Extensions.DependencyInjection;

namespace Vouch.Server.Sessions;

public static class SessionServices
{
    public static IServiceCollection AddVouchSessions(this IServiceCollection services) => services.AddSingleton<SessionService>();
}

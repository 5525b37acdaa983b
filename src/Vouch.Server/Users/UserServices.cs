using Microsoft.Extensions.DependencyInjection;

namespace Vouch.Server.Users;

public static class UserServices
{
    public static IServiceCollection AddVouchUsers(this IServiceCollection services) => services
        .AddSingleton<InviteService>()
        .AddSingleton<UserService>()
        .AddSingleton<CredentialService>();
}

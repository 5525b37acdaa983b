using Microsoft.Extensions.DependencyInjection;

namespace Vouch.Server.Persistence;

public static class PersistenceServices
{
    public static IServiceCollection AddVouchPersistence(this IServiceCollection services, DatabaseSettings database) => services
        .AddSingleton(database)
        .AddSingleton<VouchDbContextFactory>()
        .AddSingleton<DatabaseMigrator>();
}

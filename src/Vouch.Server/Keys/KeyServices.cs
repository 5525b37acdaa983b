using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vouch.Server.Keys;

public static class KeyServices
{
    /// <summary>
    /// Registers the key store; with a key-encryption key it can also create keys, and with
    /// <paramref name="rotate"/> the server keeps its key ring loaded and rotates on schedule.
    /// </summary>
    public static IServiceCollection AddVouchKeys(this IServiceCollection services, KeyPolicy policy, KeyEncryptionKey? keyEncryptionKey, bool rotate)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(policy);
        if (keyEncryptionKey is not null)
        {
            services.AddSingleton(keyEncryptionKey);
            services.AddSingleton<SigningKeyFactory>();
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<KeyStore>(sp, sp.GetRequiredService<SigningKeyFactory>()));
        }
        else
        {
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<KeyStore>(sp));
        }
        if (rotate)
        {
            services.AddSingleton<KeyRingProvider>();
            services.AddHostedService<KeyRotationService>();
        }
        return services;
    }
}

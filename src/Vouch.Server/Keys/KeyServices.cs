using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Secrets;

namespace Vouch.Server.Keys;

public static class KeyServices
{
    /// <summary>
    /// Registers reading the signing keys; with a key-encryption key also creating and rotating them. The host
    /// registers the <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddVouchKeys(this IServiceCollection services, KeyPolicy policy, KeyEncryptionKey? keyEncryptionKey)
    {
        services.AddSingleton(policy);
        services.AddSingleton<SigningKeyReader>();
        if (keyEncryptionKey is not null)
        {
            services.AddSingleton(keyEncryptionKey);
            services.AddSingleton<SigningKeyFactory>();
            services.AddSingleton<KeyStore>();
        }
        return services;
    }

    /// <summary>
    /// Keeps this instance's key ring loaded and the schedule enforced in the background: what a running server
    /// needs, and admin commands do not. Needs the key-encryption key.
    /// </summary>
    public static IServiceCollection AddVouchKeyRotation(this IServiceCollection services)
    {
        services.AddSingleton<KeyRingProvider>();
        services.AddHostedService<KeyRotationService>();
        return services;
    }
}

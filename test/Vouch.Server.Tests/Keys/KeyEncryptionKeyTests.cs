using System.Security.Cryptography;
using Vouch.Server.Keys;
using Xunit;
using Vouch.Server.Secrets;

namespace Vouch.Server.Tests.Keys;

public sealed class KeyEncryptionKeyTests
{
    [Fact]
    public void A_sealed_value_opens_with_the_same_key_and_label()
    {
        using var kek = KeyEncryptionKey.Generate();
        var secret = RandomNumberGenerator.GetBytes(138);

        var sealedValue = kek.Seal(secret, "kid-1");

        Assert.Equal(secret, kek.Open(sealedValue, "kid-1"));
        Assert.Equal(-1, sealedValue.AsSpan().IndexOf(secret.AsSpan(0, 16)));
    }

    [Fact]
    public void A_sealed_value_does_not_open_under_another_label()
    {
        using var kek = KeyEncryptionKey.Generate();
        var sealedValue = kek.Seal([1, 2, 3], "kid-1");

        Assert.ThrowsAny<CryptographicException>(() => kek.Open(sealedValue, "kid-2"));
    }

    [Fact]
    public void A_sealed_value_does_not_open_with_another_key()
    {
        using var kek = KeyEncryptionKey.Generate();
        using var other = KeyEncryptionKey.Generate();
        var sealedValue = kek.Seal([1, 2, 3], "kid-1");

        Assert.ThrowsAny<CryptographicException>(() => other.Open(sealedValue, "kid-1"));
        Assert.NotEqual(kek.Id, other.Id);
    }

    [Fact]
    public void An_altered_sealed_value_is_refused()
    {
        using var kek = KeyEncryptionKey.Generate();
        var sealedValue = kek.Seal([1, 2, 3, 4, 5], "kid-1");
        sealedValue[14] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => kek.Open(sealedValue, "kid-1"));
    }

    [Fact]
    public void The_key_id_is_stable_for_the_same_key_and_reveals_nothing_of_it()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        using var a = new KeyEncryptionKey(bytes);
        using var b = new KeyEncryptionKey(bytes);

        Assert.Equal(a.Id, b.Id);
        Assert.DoesNotContain(Convert.ToHexStringLower(bytes.AsSpan(0, 8)), a.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void One_key_seals_and_opens_from_many_threads_at_once()
    {
        using var kek = KeyEncryptionKey.Generate();
        var secret = RandomNumberGenerator.GetBytes(138);

        Parallel.For(0, 5_000, i =>
        {
            var label = "kid-" + i;
            Assert.Equal(secret, kek.Open(kek.Seal(secret, label), label));
        });
    }
}

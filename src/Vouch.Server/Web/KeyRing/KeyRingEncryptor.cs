using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Server.Secrets;

namespace Vouch.Server.Web.KeyRing;

/// <summary>
/// Seals each data-protection key's secret with AES-256-GCM under a key derived from the key-encryption key (HKDF,
/// info <see cref="Label"/>): someone who reads the database but does not hold the key-encryption key cannot forge a
/// sign-in cookie or an anti-forgery token.
/// </summary>
public sealed class KeyRingEncryptor(KeyEncryptionKey keyEncryptionKey) : IXmlEncryptor, IDisposable
{
    /// <summary>The HKDF info of the derived key, and the label its ciphertexts are bound to.</summary>
    public const string Label = "vouch data-protection key ring v1";

    internal const string ElementName = "vouchSealedKey";

    private readonly KeyEncryptionKey _key = new(keyEncryptionKey.DeriveKey(Label));

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedValue = _key.Seal(plaintext, Label);
        var element = new XElement(ElementName,
            new XComment(" sealed under the key-encryption key (AES-256-GCM) "),
            new XElement("value", Convert.ToBase64String(sealedValue)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }

    /// <summary>Opens what <see cref="Encrypt"/> sealed; throws <see cref="System.Security.Cryptography.CryptographicException"/> under another key.</summary>
    internal XElement Decrypt(XElement encryptedElement)
    {
        var sealedValue = Convert.FromBase64String((string?)encryptedElement.Element("value")
                                                   ?? throw new FormatException("a sealed data-protection key without its value"));
        return XElement.Parse(System.Text.Encoding.UTF8.GetString(_key.Open(sealedValue, Label)));
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The framework creates this by name (with the services) to read a key that <see cref="KeyRingEncryptor"/> sealed.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        services.GetRequiredService<KeyRingEncryptor>().Decrypt(encryptedElement);
}

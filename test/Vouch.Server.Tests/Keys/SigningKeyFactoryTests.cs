using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Vouch.Server.Keys;
using Xunit;

namespace Vouch.Server.Tests.Keys;

public sealed class SigningKeyFactoryTests
{
    [Fact]
    public void The_kid_of_the_rfc_7517_example_ec_key_is_its_known_rfc_7638_thumbprint()
    {
        // RFC 7517 appendix A.1, the P-256 key; its thumbprint is the one other JOSE libraries pin in their tests.
        var publicKey = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64UrlEncoder.DecodeBytes("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"),
                Y = Base64UrlEncoder.DecodeBytes("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"),
            },
        };

        var kid = SigningKeyFactory.Thumbprint(publicKey);

        Assert.Equal("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s", kid);
    }
}

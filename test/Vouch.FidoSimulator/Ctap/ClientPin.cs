using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.FidoSimulator.Ctap;

/// <summary>
/// authenticatorClientPIN (0x06) and the pinUvAuthToken it hands out (CTAP 2.1 §6.5): getPINRetries,
/// getKeyAgreement, getPinToken and getPinUvAuthTokenUsingPinWithPermissions, with protocols 2 and 1.
/// The retry counter lives in memory: a restarted simulator starts from its options again.
/// </summary>
internal sealed class ClientPin : IDisposable
{
    private readonly byte[]? _pinHash;
    private readonly Dictionary<int, PinUvAuthProtocol> _protocols = [];

    private const int MaxRetries = 8;
    private const int MaxConsecutiveMismatches = 3;

    private int _retries;
    private int _consecutiveMismatches;
    private byte[]? _token;
    private PinPermissions _permissions;
    private string? _permissionsRpId;

    public ClientPin(string? pin, int retries, IReadOnlyList<int> protocols)
    {
        foreach (var version in protocols)
        {
            _protocols[version] = version switch
            {
                1 => new PinUvAuthProtocolOne(),
                2 => new PinUvAuthProtocolTwo(),
                _ => throw new ArgumentOutOfRangeException(nameof(protocols), version, "CTAP 2.1 has PIN/UV auth protocols 1 and 2"),
            };
        }
        _pinHash = pin is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(pin))[..16];
        _retries = Math.Clamp(retries, 0, MaxRetries);
    }

    public bool IsPinSet => _pinHash is not null;

    public IReadOnlyList<int> ProtocolVersions => [.. _protocols.Keys];

    public byte[] Process(CborMap<int> request)
    {
        var subCommand = request.RequiredNumber(2);
        return subCommand switch
        {
            0x01 => Responses.Ok(w =>
            {
                w.WriteStartMap(null);
                w.WriteInt32(3);
                w.WriteInt32(_retries);
                w.WriteEndMap();
            }),
            0x02 => Protocol(request) is { } protocol
                ? Responses.Ok(w =>
                {
                    w.WriteStartMap(null);
                    w.WriteInt32(1);
                    CoseKey.Write(w, protocol.KeyAgreementPublicKey, CoseKey.EcdhEsHkdf256);
                    w.WriteEndMap();
                })
                : Responses.Status(CtapStatus.InvalidParameter),
            0x05 => GetToken(request, withPermissions: false),
            0x09 => GetToken(request, withPermissions: true),
            _ => Responses.Status(CtapStatus.InvalidParameter),
        };
    }

    /// <summary>
    /// The status for a command that carries a pinUvAuthParam over <paramref name="message"/>: OK when it was made
    /// with the current token, the token has <paramref name="permission"/> and is for <paramref name="rpId"/>.
    /// </summary>
    public CtapStatus Verify(int protocolVersion, byte[] message, byte[] pinUvAuthParam, PinPermissions permission, string rpId)
    {
        if (!_protocols.TryGetValue(protocolVersion, out var protocol))
            return CtapStatus.InvalidParameter;
        if (_token is null || !protocol.Verify(_token, message, pinUvAuthParam))
            return CtapStatus.PinAuthInvalid;
        if ((_permissions & permission) == 0 || (_permissionsRpId is not null && _permissionsRpId != rpId))
            return CtapStatus.PinAuthInvalid;
        // A token without an RP is bound to the first RP it is used for.
        _permissionsRpId ??= rpId;
        return CtapStatus.Ok;
    }

    public bool SupportsProtocol(int version) => _protocols.ContainsKey(version);

    public void Dispose()
    {
        foreach (var protocol in _protocols.Values)
            protocol.Dispose();
    }

    private PinUvAuthProtocol? Protocol(CborMap<int> request) =>
        _protocols.GetValueOrDefault((int)request.RequiredNumber(1));

    private byte[] GetToken(CborMap<int> request, bool withPermissions)
    {
        var protocolVersion = request.RequiredNumber(1);
        var platformKey = request.Required(3, request.IntegerMap);
        var pinHashEnc = request.Required(6, request.Bytes);
        var permissions = PinPermissions.MakeCredential | PinPermissions.GetAssertion;
        var rpId = withPermissions ? request.Text(0x0a) : null;
        if (withPermissions)
        {
            var requested = request.RequiredNumber(9);
            if (requested is 0 or > 0xff)
                return Responses.Status(CtapStatus.InvalidParameter);
            // Only mc and ga exist on this key: no credential management, bio enrolment or config.
            if ((requested & ~(long)(PinPermissions.MakeCredential | PinPermissions.GetAssertion)) != 0)
                return Responses.Status(CtapStatus.UnauthorizedPermission);
            permissions = (PinPermissions)requested;
        }

        if (!_protocols.TryGetValue((int)protocolVersion, out var protocol))
            return Responses.Status(CtapStatus.InvalidParameter);
        if (_pinHash is null)
            return Responses.Status(CtapStatus.PinNotSet);
        if (_retries == 0)
            return Responses.Status(CtapStatus.PinBlocked);
        if (_consecutiveMismatches >= MaxConsecutiveMismatches)
            return Responses.Status(CtapStatus.PinAuthBlocked);
        if (CoseKey.Read(platformKey) is not { } platformPublicKey || protocol.SharedSecretWith(platformPublicKey) is not { } sharedSecret)
            return Responses.Status(CtapStatus.InvalidParameter);

        _retries--;
        var pinHash = protocol.Decrypt(sharedSecret, pinHashEnc);
        if (pinHash is null || !CryptographicOperations.FixedTimeEquals(pinHash, _pinHash))
        {
            protocol.RegenerateKeyAgreementKey();
            _consecutiveMismatches++;
            if (_retries == 0)
                return Responses.Status(CtapStatus.PinBlocked);
            return Responses.Status(_consecutiveMismatches >= MaxConsecutiveMismatches ? CtapStatus.PinAuthBlocked : CtapStatus.PinInvalid);
        }

        _retries = MaxRetries;
        _consecutiveMismatches = 0;
        _token = RandomNumberGenerator.GetBytes(32);
        _permissions = permissions;
        _permissionsRpId = rpId;
        var encryptedToken = protocol.Encrypt(sharedSecret, _token);
        return Responses.Ok(w =>
        {
            w.WriteStartMap(null);
            w.WriteInt32(2);
            w.WriteByteString(encryptedToken);
            w.WriteEndMap();
        });
    }
}
